//! The dated 2026-09 API through the unchanged public calls: exact paths, queries and bodies;
//! HubSpot's 2026-09 answers (null values, no `warnings`, 207s with `errors`/`numErrors`, a
//! validation rule's 400, a proxy's HTML 502); the default client still on v3; and
//! `ApiVersion` parsing.

use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use httpmock::prelude::*;
use hubspot_crm::{
    ApiVersion, AssociationCategory, AssociationType, Client, Error, FailureCause, Filter,
    NewRecord, ReadOptions, Record, RecordUpdate, RetryPolicy, SearchRequest, StreamOptions,
    lead_properties as p,
};
use hubspot_crm_mock::association_labels_2026_09::operations as labels;
use hubspot_crm_mock::associations_2026_09::operations as associations;
use hubspot_crm_mock::objects_2026_09::operations as objects;
use hubspot_crm_mock::properties_2026_09::operations as properties;
use serde_json::{Value, json};

use crate::support::{
    TOKEN, client, client_with, json_response, new_lead, new_lead_body, quick_retries,
    request_json, traced_body,
};

/// `json` as the generated type `T`, which must serialize back to exactly `json`: a typed
/// body matches the same JSON as the literal.
fn typed<T: serde::Serialize + serde::de::DeserializeOwned>(json: Value) -> T {
    let value: T = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        json,
        "not kept as is"
    );
    value
}

/// A client like `support::client` (no retries, no limiter) on 2026-09.
fn dated(server: &MockServer) -> Client {
    let client = client_with(server, |b| b.api_version(ApiVersion::V2026_09));
    assert_eq!(client.api_version(), ApiVersion::V2026_09);
    client
}

/// A lead as 2026-09 returns it: unset properties are null, and there is no `warnings`.
fn lead_2026_09(id: &str, name: &str) -> Value {
    json!({
        "id": id,
        "properties": {
            "hs_lead_name": name,
            "hs_lead_label": null,
            "hs_object_id": id,
            "hs_createdate": "2026-10-01T08:30:00.000Z"
        },
        "createdAt": "2026-10-01T08:30:00.000Z",
        "updatedAt": "2026-11-20T16:45:12.345Z",
        "archived": false
    })
}

fn spec(category: &str, type_id: i32) -> Value {
    json!({"associationCategory": category, "associationTypeId": type_id})
}

/// HubSpot's 400 for a write that breaks one of the account's validation rules.
fn rule_error_body() -> Value {
    json!({
        "status": "error",
        "message": "Property values were not valid: Property \"hs_lead_type\" is required when \"hs_lead_label\" is \"HOT\"",
        "correlationId": "7f1d3c2a-58e4-4b6e-a0c1-2d9f7e6b5a43",
        "category": "VALIDATION_ERROR",
        "errors": [{
            "message": "Property \"hs_lead_type\" is required when \"hs_lead_label\" is \"HOT\"",
            "code": "REQUIRED_FIELD",
            "context": {"propertyName": ["hs_lead_type"]}
        }]
    })
}

#[test]
fn api_versions_parse_from_their_names() {
    assert_eq!(
        "2026-09".parse::<ApiVersion>().unwrap(),
        ApiVersion::V2026_09
    );
    assert_eq!("v3".parse::<ApiVersion>().unwrap(), ApiVersion::V3);
    assert_eq!(ApiVersion::default(), ApiVersion::V3);
    assert_eq!(ApiVersion::ALL, [ApiVersion::V3, ApiVersion::V2026_09]);
    for &version in ApiVersion::ALL {
        assert_eq!(version.to_string(), version.as_str());
        assert_eq!(version.as_str().parse::<ApiVersion>().unwrap(), version);
    }
    assert_eq!(ApiVersion::V3.as_str(), "v3");
    assert_eq!(ApiVersion::V2026_09.as_str(), "2026-09");
    for bad in ["2026-03", "2026-9", "v5", "", "latest", "2026-09-01"] {
        let error = bad.parse::<ApiVersion>().unwrap_err();
        assert_eq!(error.field, "api_version", "{bad:?}");
        assert_eq!(error.item, None);
        assert!(error.reason.contains("2026-09"), "{bad:?}: {error}");
    }
}

#[test]
fn the_builder_defaults_to_v3_and_with_api_version_leaves_the_original() {
    let v3 = Client::builder().access_token(TOKEN).build().unwrap();
    assert_eq!(v3.api_version(), ApiVersion::V3);
    let dated = v3.with_api_version(ApiVersion::V2026_09);
    assert_eq!(dated.api_version(), ApiVersion::V2026_09);
    assert_eq!(v3.api_version(), ApiVersion::V3);
    assert_eq!(dated.base_url(), v3.base_url());
    assert_eq!(dated.retry_policy(), v3.retry_policy());
    assert_eq!(dated.max_body_bytes(), v3.max_body_bytes());
    assert_eq!(
        dated.with_api_version(ApiVersion::V3).api_version(),
        ApiVersion::V3
    );
}

#[tokio::test]
async fn get_reads_null_values_history_and_associations_without_warnings() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            objects::GetWhen::new(when)
                .object_type("leads")
                .object_id("1001")
                .properties("hs_lead_name,hs_lead_label,hubspot_owner_id")
                .properties_with_history("hs_lead_label")
                .associations("contacts")
                .archived(false)
                .into_inner()
                .query_param_count(".*", ".*", 4)
                .header("authorization", format!("Bearer {TOKEN}"));
            // Raw: HubSpot's millisecond timestamps, which a typed answer would reformat.
            objects::GetThen::new(then).into_inner().status(200).json_body(json!({
                "id": "1001",
                "properties": {
                    "hs_lead_name": "Acme renewal",
                    "hs_lead_label": "WARM",
                    "hubspot_owner_id": null,
                    "hs_object_id": "1001"
                },
                "propertiesWithHistory": {
                    "hs_lead_label": [
                        {"value": "WARM", "timestamp": "2026-11-20T16:45:12.345Z", "sourceType": "CRM_UI", "sourceId": "userId:77", "updatedByUserId": 77},
                        {"value": "NEW", "timestamp": "2026-10-01T08:30:00.000Z", "sourceType": "API"}
                    ]
                },
                "associations": {
                    "contacts": {"results": [{"id": "51", "type": "lead_to_primary_contact"}]}
                },
                "createdAt": "2026-10-01T08:30:00.000Z",
                "updatedAt": "2026-11-20T16:45:12.345Z",
                "archived": false
            }));
        })
        .await;
    let lead = dated(&server)
        .leads()
        .get_with(
            "1001",
            &ReadOptions::new()
                .properties([p::HS_LEAD_NAME, p::HS_LEAD_LABEL, p::HUBSPOT_OWNER_ID])
                .properties_with_history([p::HS_LEAD_LABEL])
                .associations(["contacts"]),
        )
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(lead.id, "1001");
    assert_eq!(lead.property(p::HS_LEAD_LABEL), Some("WARM"));
    assert_eq!(lead.properties[p::HUBSPOT_OWNER_ID], None);
    assert!(lead.warnings.is_empty(), "2026-09 sends no warnings");
    let history: Vec<(&str, &str)> = lead
        .history(p::HS_LEAD_LABEL)
        .iter()
        .map(|v| (v.value.as_str(), v.source_type.as_str()))
        .collect();
    assert_eq!(history, [("WARM", "CRM_UI"), ("NEW", "API")]);
    assert_eq!(
        lead.history(p::HS_LEAD_LABEL)[0].updated_by_user_id,
        Some(77)
    );
    assert_eq!(lead.associated_ids("contacts").collect::<Vec<_>>(), ["51"]);
    assert_eq!(
        lead.associations["contacts"][0].type_,
        "lead_to_primary_contact"
    );
    assert_eq!(
        lead.updated_at.to_rfc3339(),
        "2026-11-20T16:45:12.345+00:00"
    );
}

#[tokio::test]
async fn list_stream_pages_by_limit_and_after() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            objects::ListWhen::new(when)
                .object_type("leads")
                .limit(2)
                .after(None::<&str>)
                .archived(false)
                .properties("hs_lead_name")
                .into_inner()
                .query_param_count(".*", ".*", 3);
            objects::ListThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({
                    "results": [lead_2026_09("1001", "A"), lead_2026_09("1002", "B")],
                    "paging": {"next": {
                        "after": "1003",
                        "link": "https://api.hubapi.com/crm/objects/2026-09/leads?after=1003"
                    }}
                }));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            objects::ListWhen::new(when)
                .object_type("leads")
                .limit(2)
                .after("1003")
                .archived(false)
                .properties("hs_lead_name")
                .into_inner()
                .query_param_count(".*", ".*", 4);
            objects::ListThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({"results": [lead_2026_09("1003", "C")]}));
        })
        .await;
    let leads: Vec<Record> = dated(&server)
        .leads()
        .list_stream(
            ReadOptions::new().properties([p::HS_LEAD_NAME]),
            StreamOptions::new().page_size(2),
        )
        .try_collect()
        .await
        .unwrap();
    first.assert_async().await;
    second.assert_async().await;
    let names: Vec<_> = leads.iter().map(|l| l.property(p::HS_LEAD_NAME)).collect();
    assert_eq!(names, [Some("A"), Some("B"), Some("C")]);
    assert!(
        leads
            .iter()
            .all(|l| l.properties[p::HS_LEAD_LABEL].is_none())
    );
}

#[tokio::test]
async fn search_page_posts_the_body_and_reads_the_total() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            objects::SearchWhen::new(when)
                .object_type("leads")
                .body(&typed(json!({
                    "filterGroups": [{"filters": [
                        {"propertyName": "hs_lead_label", "operator": "EQ", "value": "WARM"}
                    ]}],
                    "properties": ["hs_lead_name"],
                    "limit": 50
                })));
            objects::SearchThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({
                    "total": 120,
                    "results": [lead_2026_09("1001", "A"), lead_2026_09("1002", "B")],
                    "paging": {"next": {"after": "50"}}
                }));
        })
        .await;
    let page = dated(&server)
        .leads()
        .search_page(
            &SearchRequest::new()
                .filter(Filter::eq(p::HS_LEAD_LABEL, "WARM"))
                .properties([p::HS_LEAD_NAME])
                .limit(50),
        )
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(page.total, Some(120));
    assert_eq!(page.next_after.as_deref(), Some("50"));
    let ids: Vec<&str> = page.results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["1001", "1002"]);
}

#[tokio::test]
async fn search_stream_restarts_above_the_last_id_on_the_dated_path() {
    let server = MockServer::start_async().await;
    let sorts = json!([{"propertyName": "hs_object_id", "direction": "ASCENDING"}]);
    let first = server
        .mock_async(|when, then| {
            objects::SearchWhen::new(when)
                .object_type("leads")
                .body(&typed(json!({
                    "properties": ["hs_lead_name"],
                    "sorts": sorts,
                    "limit": 2
                })));
            objects::SearchThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({
                    "total": 3,
                    "results": [lead_2026_09("1001", "A"), lead_2026_09("1002", "B")],
                    "paging": {"next": {"after": "2"}}
                }));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            objects::SearchWhen::new(when)
                .object_type("leads")
                .body(&typed(json!({
                    "filterGroups": [{"filters": [
                        {"propertyName": "hs_object_id", "operator": "GT", "value": "1002"}
                    ]}],
                    "properties": ["hs_lead_name"],
                    "sorts": sorts,
                    "limit": 2
                })));
            objects::SearchThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({
                    "total": 1,
                    "results": [lead_2026_09("1003", "C")]
                }));
        })
        .await;
    let found: Vec<Record> = dated(&server)
        .leads()
        .search_stream(
            SearchRequest::new().properties([p::HS_LEAD_NAME]).limit(2),
            None,
        )
        .try_collect()
        .await
        .unwrap();
    first.assert_async().await;
    second.assert_async().await;
    let ids: Vec<&str> = found.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["1001", "1002", "1003"]);
}

#[tokio::test]
async fn a_validation_rule_400_names_its_properties_and_is_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            let mut body = new_lead_body("Acme renewal");
            body["properties"]["hs_lead_label"] = json!("HOT");
            objects::CreateWhen::new(when)
                .object_type("leads")
                .body(&typed(body))
                .into_inner()
                .header("authorization", format!("Bearer {TOKEN}"));
            objects::CreateThen::new(then).client_error(400, rule_error_body());
        })
        .await;
    let client = client_with(&server, |b| {
        b.api_version(ApiVersion::V2026_09).retry(quick_retries())
    });
    let error = client
        .leads()
        .create(new_lead("Acme renewal", None).property(p::HS_LEAD_LABEL, "HOT"))
        .await
        .unwrap_err();
    mock.assert_calls_async(1).await;
    assert_eq!(error.status(), Some(400));
    let Error::Api(api) = &error else {
        panic!("expected HubSpot's error, got {error:?}");
    };
    assert_eq!(api.status, 400);
    assert!(api.is_validation_error());
    assert_eq!(api.invalid_properties(), ["hs_lead_type"]);
    assert_eq!(api.errors[0].code.as_deref(), Some("REQUIRED_FIELD"));
    assert_eq!(
        api.correlation_id.as_deref(),
        Some("7f1d3c2a-58e4-4b6e-a0c1-2d9f7e6b5a43")
    );
    assert!(error.to_string().contains("is required when"), "{error}");
}

#[tokio::test]
async fn a_proxy_html_502_keeps_status_and_page() {
    let server = MockServer::start_async().await;
    let html = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>";
    let mock = server
        .mock_async(|when, then| {
            objects::GetWhen::new(when)
                .object_type("leads")
                .object_id("1001");
            objects::GetThen::new(then)
                .into_inner()
                .status(502)
                .header("content-type", "text/html")
                .body(html);
        })
        .await;
    let error = dated(&server).leads().get("1001").await.unwrap_err();
    mock.assert_calls_async(1).await;
    let Error::Api(api) = &error else {
        panic!("expected the proxy's error, got {error:?}");
    };
    assert_eq!(api.status, 502);
    assert_eq!(api.raw_body.as_deref(), Some(html));
    assert!(api.category.is_none());
    assert!(!api.is_validation_error());
    assert!(api.invalid_properties().is_empty());
}

/// A 2026-09 batch-create endpoint: creates each input, except that an input labelled HOT
/// without a lead type breaks the account's rule and fails on its own (a 207).
fn creating_with_a_rule(
    seen: Arc<Mutex<Vec<Value>>>,
) -> impl Fn(&HttpMockRequest) -> HttpMockResponse {
    move |req| {
        let inputs = request_json(req)["inputs"].as_array().unwrap().clone();
        let mut results = Vec::new();
        let mut errors = Vec::new();
        for (i, input) in inputs.iter().enumerate().rev() {
            let props = &input["properties"];
            if props["hs_lead_label"] == "HOT" && props.get("hs_lead_type").is_none() {
                let mut error = rule_error_body();
                error["context"] = json!({"objectWriteTraceId": [input["objectWriteTraceId"]]});
                errors.push(error);
                continue;
            }
            let id = (2000 + i).to_string();
            let mut record = lead_2026_09(&id, props["hs_lead_name"].as_str().unwrap());
            record["properties"]["hs_lead_label"] = props["hs_lead_label"].clone();
            record["objectWriteTraceId"] = input["objectWriteTraceId"].clone();
            results.push(record);
        }
        seen.lock().unwrap().extend(inputs);
        let status = if errors.is_empty() { 201 } else { 207 };
        json_response(
            status,
            &json!({
                "status": "COMPLETE",
                "results": results,
                "numErrors": errors.len(),
                "errors": errors,
                "startedAt": "2026-11-26T10:00:00.000Z",
                "completedAt": "2026-11-26T10:00:01.000Z"
            }),
        )
    }
}

#[tokio::test]
async fn a_207_ties_rule_violations_to_their_inputs() {
    let server = MockServer::start_async().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mock = server
        .mock_async(|when, then| {
            objects::BatchCreateWhen::new(when).object_type("leads");
            then.respond_with(creating_with_a_rule(seen.clone()));
        })
        .await;
    let inputs: Vec<NewRecord> = (0..6)
        .map(|i| {
            let lead = new_lead(&format!("Lead {i}"), None).property(p::HS_LEAD_LABEL, "HOT");
            if i == 1 || i == 4 {
                lead
            } else {
                lead.property(p::HS_LEAD_TYPE, "NEW_BUSINESS")
            }
        })
        .collect();
    let result = dated(&server).leads().create_many(inputs).await.unwrap();
    mock.assert_calls_async(1).await;

    let sent = seen.lock().unwrap().clone();
    assert_eq!(sent.len(), 6);
    let trace = sent[0]["objectWriteTraceId"].clone();
    assert!(trace.is_string());
    assert_eq!(
        sent[0],
        json!({
            "properties": {"hs_lead_name": "Lead 0", "hs_lead_label": "HOT", "hs_lead_type": "NEW_BUSINESS"},
            "associations": [{"to": {"id": "51"}, "types": [spec("HUBSPOT_DEFINED", 578)]}],
            "objectWriteTraceId": trace
        })
    );

    assert_eq!(result.outcomes.len(), 6);
    assert!(result.unmatched_results.is_empty() && result.unmatched_errors.is_empty());
    assert_eq!(result.failed().map(|f| f.index).collect::<Vec<_>>(), [1, 4]);
    for failure in result.failed() {
        let FailureCause::Rejected(error) = &failure.cause else {
            panic!("item {}: {}", failure.index, failure.cause);
        };
        assert_eq!(error.status, 207);
        assert!(error.is_validation_error());
        assert_eq!(error.invalid_properties(), ["hs_lead_type"]);
        assert_eq!(
            error.context.get("objectWriteTraceId"),
            Some(&vec![failure.input.object_write_trace_id.clone().unwrap()])
        );
        assert!(!failure.may_have_been_applied());
    }
    for i in [0, 2, 3, 5] {
        let record = result.outcomes[i].succeeded().unwrap();
        assert_eq!(record.id, (2000 + i).to_string());
        assert_eq!(
            record.property(p::HS_LEAD_NAME),
            Some(format!("Lead {i}").as_str())
        );
        assert!(record.warnings.is_empty());
    }
}

#[tokio::test]
async fn batch_read_update_and_archive_go_to_the_dated_batch_paths() {
    let server = MockServer::start_async().await;
    let batch = |results: Vec<Value>| {
        json!({
            "status": "COMPLETE",
            "results": results,
            "startedAt": "2026-11-26T10:00:00.000Z",
            "completedAt": "2026-11-26T10:00:00.500Z"
        })
    };
    let read = server
        .mock_async(|when, then| {
            objects::BatchReadWhen::new(when)
                .object_type("leads")
                .archived(false)
                .body(&typed(json!({
                    "inputs": [{"id": "1001"}, {"id": "1002"}],
                    "properties": ["hs_lead_name"]
                })));
            objects::BatchReadThen::new(then)
                .into_inner()
                .status(200)
                .json_body(batch(vec![
                    lead_2026_09("1002", "B"),
                    lead_2026_09("1001", "A"),
                ]));
        })
        .await;
    let update = server
        .mock_async(|when, then| {
            objects::BatchUpdateWhen::new(when)
                .object_type("leads")
                .into_inner()
                .is_true(traced_body(json!({"inputs": [
                    {"id": "1001", "properties": {"hs_lead_label": "HOT"}},
                    {"id": "1002", "properties": {"hs_lead_label": "HOT"}}
                ]})));
            let mut hot = vec![lead_2026_09("1001", "A"), lead_2026_09("1002", "B")];
            for lead in &mut hot {
                lead["properties"]["hs_lead_label"] = json!("HOT");
            }
            objects::BatchUpdateThen::new(then)
                .into_inner()
                .status(200)
                .json_body(batch(hot));
        })
        .await;
    let archive = server
        .mock_async(|when, then| {
            objects::BatchArchiveWhen::new(when)
                .object_type("leads")
                .body(&typed(json!({"inputs": [{"id": "1001"}, {"id": "1002"}]})));
            objects::BatchArchiveThen::new(then)
                .into_inner()
                .status(204);
        })
        .await;
    let leads = dated(&server).leads();
    let found = leads
        .read_many(
            ["1001", "1002"],
            &ReadOptions::new().properties([p::HS_LEAD_NAME]),
        )
        .await
        .unwrap();
    let names: Vec<_> = found
        .succeeded()
        .map(|r| r.property(p::HS_LEAD_NAME).unwrap().to_owned())
        .collect();
    assert_eq!(names, ["A", "B"], "in input order");
    let updated = leads
        .update_many(vec![
            RecordUpdate::new("1001").property(p::HS_LEAD_LABEL, "HOT"),
            RecordUpdate::new("1002").property(p::HS_LEAD_LABEL, "HOT"),
        ])
        .await
        .unwrap();
    assert!(updated.is_complete_success());
    assert!(
        updated
            .succeeded()
            .all(|r| r.property(p::HS_LEAD_LABEL) == Some("HOT"))
    );
    let archived = leads.archive_many(["1001", "1002"]).await.unwrap();
    assert!(archived.is_complete_success());
    read.assert_async().await;
    update.assert_async().await;
    archive.assert_async().await;
}

#[tokio::test]
async fn associate_puts_the_types_under_the_record() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            associations::CreateWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("companies")
                .to_object_id("5791")
                .body(&typed(json!([
                    spec("HUBSPOT_DEFINED", 610),
                    spec("USER_DEFINED", 37)
                ])))
                .into_inner()
                .header("authorization", format!("Bearer {TOKEN}"));
            // HubSpot sends these ids as numbers.
            associations::CreateThen::new(then)
                .into_inner()
                .status(201)
                .json_body(json!({
                    "fromObjectTypeId": "0-136",
                    "fromObjectId": 901,
                    "toObjectTypeId": "0-2",
                    "toObjectId": 5791,
                    "labels": ["Decision maker's company"]
                }));
        })
        .await;
    let link = dated(&server)
        .associations()
        .associate(
            "leads",
            "901",
            "companies",
            "5791",
            &[
                AssociationType::hubspot(610),
                AssociationType {
                    category: AssociationCategory::UserDefined,
                    type_id: 37,
                },
            ],
        )
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        (link.from_object_id.as_str(), link.to_object_id.as_str()),
        ("901", "5791")
    );
    assert_eq!(link.labels, ["Decision maker's company"]);
}

/// The labels of leads → companies as 2026-09 lists them: an unlabeled type has a null label.
async fn serve_company_labels(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            labels::ListWhen::new(when)
                .from_object_type("leads")
                .to_object_type("companies");
            labels::ListThen::new(then).into_inner().status(200).json_body(json!({
                "results": [
                    {"category": "HUBSPOT_DEFINED", "typeId": 610, "label": null},
                    {"category": "HUBSPOT_DEFINED", "typeId": 580, "label": "Primary"},
                    {"category": "USER_DEFINED", "typeId": 37, "label": "Decision maker's company"}
                ]
            }));
        })
        .await
}

#[tokio::test]
async fn labels_are_read_from_the_dated_path_once_and_used_by_label() {
    let server = MockServer::start_async().await;
    let labels = serve_company_labels(&server).await;
    let mut puts = Vec::new();
    for lead in ["901", "902"] {
        let put =
            server
                .mock_async(|when, then| {
                    associations::CreateWhen::new(when)
                        .object_type("leads")
                        .object_id(lead)
                        .to_object_type("companies")
                        .to_object_id("5791")
                        .body(&typed(json!([spec("USER_DEFINED", 37)])));
                    associations::CreateThen::new(then).into_inner().status(201).json_body(json!({
                    "fromObjectTypeId": "0-136", "fromObjectId": lead.parse::<u64>().unwrap(),
                    "toObjectTypeId": "0-2", "toObjectId": 5791,
                    "labels": ["Decision maker's company"]
                }));
                })
                .await;
        puts.push(put);
    }
    let associations = dated(&server).associations();
    let listed = associations.labels("leads", "companies").await.unwrap();
    let listed: Vec<(i32, Option<&str>)> = listed
        .iter()
        .map(|l| (l.type_id, l.label.as_deref()))
        .collect();
    assert_eq!(
        listed,
        [
            (610, None),
            (580, Some("Primary")),
            (37, Some("Decision maker's company"))
        ]
    );
    for lead in ["901", "902"] {
        associations
            .associate_lead_by_label(lead, "companies", "5791", "Decision maker's company")
            .await
            .unwrap();
    }
    labels.assert_calls_async(1).await;
    for put in &puts {
        put.assert_async().await;
    }
}

#[tokio::test]
async fn association_list_stream_is_a_batch_read_paged_by_after() {
    let server = MockServer::start_async().await;
    let target = |id: u64| {
        json!({"toObjectId": id, "associationTypes": [
            {"category": "HUBSPOT_DEFINED", "typeId": 609, "label": null}
        ]})
    };
    let first = server
        .mock_async(|when, then| {
            associations::BatchReadWhen::new(when)
                .from_object_type("contacts")
                .to_object_type("leads")
                .body(&typed(json!({"inputs": [{"id": "51"}]})));
            associations::BatchReadThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({
                    "status": "COMPLETE",
                    "results": [{
                        "from": {"id": "51"},
                        "to": [target(1001), target(1002)],
                        "paging": {"next": {"after": "MTAwMg%3D%3D", "link": null}}
                    }],
                    "startedAt": "2026-11-26T10:00:00.000Z",
                    "completedAt": "2026-11-26T10:00:00.100Z"
                }));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            associations::BatchReadWhen::new(when)
                .from_object_type("contacts")
                .to_object_type("leads")
                .body(&typed(
                    json!({"inputs": [{"id": "51", "after": "MTAwMg%3D%3D"}]}),
                ));
            associations::BatchReadThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({
                    "status": "COMPLETE",
                    "results": [{"from": {"id": "51"}, "to": [target(1003)]}],
                    "startedAt": "2026-11-26T10:00:01.000Z",
                    "completedAt": "2026-11-26T10:00:01.100Z"
                }));
        })
        .await;
    let associations = dated(&server).associations();
    let page = associations
        .list_page("contacts", "51", "leads", Some(500), None)
        .await
        .unwrap();
    assert_eq!(page.next_after.as_deref(), Some("MTAwMg%3D%3D"));
    assert_eq!(page.results.len(), 2);
    let all: Vec<_> = associations
        .list_stream("contacts", "51", "leads")
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = all.iter().map(|t| t.to_object_id.as_str()).collect();
    assert_eq!(ids, ["1001", "1002", "1003"]);
    assert_eq!(all[0].association_types[0].type_id, 609);
    first.assert_calls_async(2).await;
    second.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_record_without_associations_lists_none_on_2026_09() {
    let server = MockServer::start_async().await;
    // What HubSpot's batch read answers for a record with no associations.
    let mock = server
        .mock_async(|when, then| {
            associations::BatchReadWhen::new(when)
                .from_object_type("contacts")
                .to_object_type("leads")
                .body(&typed(json!({"inputs": [{"id": "52"}]})));
            associations::BatchReadThen::new(then)
                .into_inner()
                .status(207)
                .json_body(json!({
                    "status": "COMPLETE",
                    "results": [],
                    "numErrors": 1,
                    "errors": [{
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                        "message": "No lead is associated with contact 52.",
                        "context": {"fromObjectId": ["52"]}
                    }],
                    "startedAt": "2026-11-26T10:00:00.000Z",
                    "completedAt": "2026-11-26T10:00:00.100Z"
                }));
        })
        .await;
    let all: Vec<_> = dated(&server)
        .associations()
        .list_stream("contacts", "52", "leads")
        .try_collect()
        .await
        .unwrap();
    mock.assert_async().await;
    assert!(all.is_empty(), "{all:?}");
}

#[tokio::test]
async fn associate_v3_and_its_removal_use_the_dated_equivalents() {
    let server = MockServer::start_async().await;
    let put = server
        .mock_async(|when, then| {
            associations::CreateWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("contacts")
                .to_object_id("52")
                .body(&typed(json!([spec("HUBSPOT_DEFINED", 608)])));
            associations::CreateThen::new(then)
                .into_inner()
                .status(201)
                .json_body(json!({
                    "fromObjectTypeId": "0-136", "fromObjectId": 901,
                    "toObjectTypeId": "0-1", "toObjectId": 52, "labels": []
                }));
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            objects::GetWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .associations("contacts");
            let mut lead = lead_2026_09("901", "Acme renewal");
            lead["associations"] = json!({"contacts": {"results": [
                {"id": "51", "type": "lead_to_primary_contact"},
                {"id": "52", "type": "lead_to_contact"}
            ]}});
            objects::GetThen::new(then)
                .into_inner()
                .status(200)
                .json_body(lead);
        })
        .await;
    let remove = server
        .mock_async(|when, then| {
            associations::BatchArchiveLabelsWhen::new(when)
                .from_object_type("leads")
                .to_object_type("contacts")
                .body(&typed(json!({"inputs": [{
                    "from": {"id": "901"},
                    "to": {"id": "52"},
                    "types": [spec("HUBSPOT_DEFINED", 608)]
                }]})));
            // The 2026-09 spec's answer: a status, no results.
            associations::BatchArchiveLabelsThen::new(then)
                .into_inner()
                .status(200)
                .json_body(void_batch());
        })
        .await;
    let leads = dated(&server).leads();
    let lead = leads
        .associate_v3("901", "contacts", "52", 608)
        .await
        .unwrap();
    put.assert_async().await;
    get.assert_async().await;
    assert_eq!(lead.id, "901");
    assert_eq!(
        lead.associated_ids("contacts").collect::<Vec<_>>(),
        ["51", "52"]
    );
    leads
        .remove_association_v3("901", "contacts", "52", 608)
        .await
        .unwrap();
    remove.assert_async().await;
}

/// A 2026-09 batch answer that carries no results (`BatchResponseVoid`).
fn void_batch() -> Value {
    json!({
        "status": "COMPLETE",
        "results": [],
        "startedAt": "2026-11-26T10:00:00.000Z",
        "completedAt": "2026-11-26T10:00:00.050Z"
    })
}

#[tokio::test]
async fn removals_accept_a_204_without_a_body() {
    // v4 answers these removals with a bare 204; the dated line may too.
    let server = MockServer::start_async().await;
    let labels = server
        .mock_async(|when, then| {
            associations::BatchArchiveLabelsWhen::new(when)
                .from_object_type("leads")
                .to_object_type("contacts")
                .body(&typed(json!({"inputs": [{
                    "from": {"id": "901"},
                    "to": {"id": "52"},
                    "types": [spec("HUBSPOT_DEFINED", 608)]
                }]})));
            associations::BatchArchiveLabelsThen::new(then)
                .into_inner()
                .status(204);
        })
        .await;
    let all = server
        .mock_async(|when, then| {
            associations::BatchArchiveWhen::new(when)
                .from_object_type("leads")
                .to_object_type("companies")
                .body(&typed(
                    json!({"inputs": [{"from": {"id": "901"}, "to": [{"id": "5791"}]}]}),
                ));
            associations::BatchArchiveThen::new(then)
                .into_inner()
                .status(204);
        })
        .await;
    let client = dated(&server);
    client
        .leads()
        .remove_association_v3("901", "contacts", "52", 608)
        .await
        .unwrap();
    client
        .associations()
        .batch_remove(
            "leads",
            "companies",
            &[hubspot_crm::AssociationRemoval::new("901", ["5791"])],
        )
        .await
        .unwrap();
    labels.assert_async().await;
    all.assert_async().await;
}

#[tokio::test]
async fn associate_v3_looks_a_custom_type_up_in_the_pairs_labels() {
    let server = MockServer::start_async().await;
    let labels = serve_company_labels(&server).await;
    let put = server
        .mock_async(|when, then| {
            associations::CreateWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("companies")
                .to_object_id("5791")
                .body(&typed(json!([spec("USER_DEFINED", 37)])));
            associations::CreateThen::new(then)
                .into_inner()
                .status(201)
                .json_body(json!({
                    "fromObjectTypeId": "0-136", "fromObjectId": 901,
                    "toObjectTypeId": "0-2", "toObjectId": 5791,
                    "labels": ["Decision maker's company"]
                }));
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            objects::GetWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .associations("companies");
            let mut lead = lead_2026_09("901", "Acme renewal");
            lead["associations"] =
                json!({"companies": {"results": [{"id": "5791", "type": "lead_to_company"}]}});
            objects::GetThen::new(then)
                .into_inner()
                .status(200)
                .json_body(lead);
        })
        .await;
    let lead = dated(&server)
        .leads()
        .associate_v3("901", "companies", "5791", 37)
        .await
        .unwrap();
    labels.assert_calls_async(1).await;
    put.assert_async().await;
    get.assert_async().await;
    assert_eq!(
        lead.associated_ids("companies").collect::<Vec<_>>(),
        ["5791"]
    );
}

/// `hs_lead_label` as 2026-09 defines it.
fn label_definition() -> Value {
    json!({
        "name": "hs_lead_label",
        "label": "Lead label",
        "type": "enumeration",
        "fieldType": "select",
        "groupName": "lead_information",
        "description": "",
        "options": [
            {"label": "New", "value": "NEW", "displayOrder": 0, "hidden": false},
            {"label": "Warm", "value": "WARM", "displayOrder": 1, "hidden": false},
            {"label": "Cold", "value": "COLD", "displayOrder": 2, "hidden": false}
        ],
        "displayOrder": -1,
        "calculated": false,
        "externalOptions": false,
        "hasUniqueValue": false,
        "hidden": false,
        "hubspotDefined": true,
        "modificationMetadata": {"archivable": false, "readOnlyDefinition": true, "readOnlyValue": false},
        "formField": true,
        "dataSensitivity": "non_sensitive",
        "createdAt": "2024-01-10T12:00:00Z",
        "updatedAt": "2025-06-01T09:30:00Z",
        "archived": false
    })
}

#[tokio::test]
async fn property_definitions_come_from_the_dated_path_and_check_values_before_sending() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            properties::ListWhen::new(when).object_type("leads");
            properties::ListThen::new(then).into_inner().status(200).json_body(json!({
                "results": [
                    label_definition(),
                    {
                        "name": "hs_lead_name", "label": "Lead name", "type": "string",
                        "fieldType": "text", "groupName": "lead_information", "options": [],
                        "hubspotDefined": true, "formField": true,
                        "modificationMetadata": {"archivable": false, "readOnlyDefinition": true, "readOnlyValue": false}
                    },
                    {
                        "name": "hs_createdate", "label": "Create date", "type": "datetime",
                        "fieldType": "date", "groupName": "lead_information", "options": [],
                        "hubspotDefined": true,
                        "modificationMetadata": {"archivable": false, "readOnlyDefinition": true, "readOnlyValue": true}
                    }
                ]
            }));
        })
        .await;
    let one = server
        .mock_async(|when, then| {
            properties::GetWhen::new(when)
                .object_type("leads")
                .property_name("hs_lead_label");
            properties::GetThen::new(then)
                .into_inner()
                .status(200)
                .json_body(label_definition());
        })
        .await;
    let client = dated(&server);
    let properties = client.properties();
    let definitions = properties.definitions("leads").await.unwrap();
    assert_eq!(definitions.len(), 3);
    let label = definitions.get(p::HS_LEAD_LABEL).unwrap();
    assert!(label.has_fixed_options());
    assert!(definitions.get("hs_createdate").unwrap().read_only());
    let read = properties.get("leads", p::HS_LEAD_LABEL).await.unwrap();
    assert_eq!(read.label.as_deref(), Some("Lead label"));
    assert_eq!(
        read.options
            .iter()
            .map(|o| o.value.as_str())
            .collect::<Vec<_>>(),
        ["NEW", "WARM", "COLD"]
    );

    // Checked against the cached definitions: nothing more is sent.
    let bad = new_lead("Checked", None).property(p::HS_LEAD_LABEL, "Warm");
    let Err(Error::Validation(e)) = properties.check_new_record("leads", &bad).await else {
        panic!("a label is not a value");
    };
    assert_eq!(e.field, p::HS_LEAD_LABEL);
    assert!(e.reason.contains("`WARM`"), "{}", e.reason);
    let refused = client
        .leads()
        .new_lead("Checked")
        .contact("51")
        .label("LUKEWARM")
        .check_against_definitions()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::Validation(ref e) if e.field == p::HS_LEAD_LABEL),
        "{refused:?}"
    );
    let read_only = RecordUpdate::new("1001").property("hs_createdate", "2026-01-01");
    let Err(Error::Validation(e)) = properties.check_update("leads", &read_only).await else {
        panic!("a read-only property is caught");
    };
    assert_eq!(e.field, "hs_createdate");
    list.assert_calls_async(1).await;
    one.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_default_client_keeps_to_v3_paths() {
    use hubspot_crm_mock::{leads as v3_leads, properties as v3_properties};
    let server = MockServer::start_async().await;
    let dated_get = server
        .mock_async(|when, then| {
            objects::GetWhen::new(when);
            objects::GetThen::new(then)
                .into_inner()
                .status(200)
                .json_body(lead_2026_09("1001", "Dated"));
        })
        .await;
    let v3_get = server
        .mock_async(|when, then| {
            v3_leads::operations::GetWhen::new(when).leads_id(&"1001".parse().unwrap());
            v3_leads::operations::GetThen::new(then)
                .into_inner()
                .status(200)
                .json_body(lead_2026_09("1001", "Legacy"));
        })
        .await;
    let v3_definitions = server
        .mock_async(|when, then| {
            v3_properties::operations::ListWhen::new(when).object_type("leads");
            v3_properties::operations::ListThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({"results": [label_definition()]}));
        })
        .await;
    let v3 = client(&server);
    assert_eq!(v3.api_version(), ApiVersion::V3);
    let lead = v3.leads().get("1001").await.unwrap();
    assert_eq!(lead.property(p::HS_LEAD_NAME), Some("Legacy"));
    assert_eq!(v3.properties().definitions("leads").await.unwrap().len(), 1);
    v3_get.assert_calls_async(1).await;
    v3_definitions.assert_calls_async(1).await;
    dated_get.assert_calls_async(0).await;

    // The same client switched to 2026-09, and back.
    let dated = v3.with_api_version(ApiVersion::V2026_09);
    let lead = dated.leads().get("1001").await.unwrap();
    assert_eq!(lead.property(p::HS_LEAD_NAME), Some("Dated"));
    dated_get.assert_calls_async(1).await;
    v3.leads().get("1001").await.unwrap();
    v3_get.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_dated_association_create_is_resent_after_a_503_like_v4s() {
    // Associating twice leaves one association, on either version.
    let server = MockServer::start_async().await;
    let unavailable = server
        .mock_async(|when, then| {
            associations::CreateWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("companies")
                .to_object_id("5791");
            then.status(503)
                .header("content-type", "text/html")
                .body("<html><body>Service Unavailable</body></html>");
        })
        .await;
    let client = client_with(&server, |b| {
        b.api_version(ApiVersion::V2026_09).retry(RetryPolicy {
            max_attempts: 3,
            ..quick_retries()
        })
    });
    let error = client
        .associations()
        .associate(
            "leads",
            "901",
            "companies",
            "5791",
            &[AssociationType::hubspot(610)],
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503), "{error}");
    assert_eq!(unavailable.calls_async().await, 3);
}

#[tokio::test]
async fn a_failure_reported_in_a_dated_removal_answer_fails_the_call() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            associations::BatchArchiveWhen::new(when)
                .from_object_type("leads")
                .to_object_type("companies");
            let mut answer = void_batch();
            answer["numErrors"] = json!(1);
            answer["errors"] = json!([{
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": "No lead with id 902 exists.",
                "context": {"fromObjectId": ["902"]}
            }]);
            associations::BatchArchiveThen::new(then)
                .into_inner()
                .status(207)
                .json_body(answer);
        })
        .await;
    let error = dated(&server)
        .associations()
        .batch_remove(
            "leads",
            "companies",
            &[
                hubspot_crm::AssociationRemoval::new("901", ["5791"]),
                hubspot_crm::AssociationRemoval::new("902", ["5791"]),
            ],
        )
        .await
        .unwrap_err();
    mock.assert_async().await;
    let api = error.api_error().expect("HubSpot's reported failure");
    assert_eq!(api.category.as_deref(), Some("OBJECT_NOT_FOUND"));
    assert_eq!(api.context["fromObjectId"], ["902"]);
}

#[tokio::test]
async fn a_dated_removal_answered_with_a_partial_status_is_done() {
    // HubSpot did the work; an answer short of the spec's fields must not make it a failure.
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            associations::BatchArchiveLabelsWhen::new(when)
                .from_object_type("leads")
                .to_object_type("contacts");
            associations::BatchArchiveLabelsThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({"status": "COMPLETE"}));
        })
        .await;
    dated(&server)
        .associations()
        .remove_types(
            "leads",
            "901",
            "contacts",
            "52",
            &[AssociationType::hubspot(608)],
        )
        .await
        .unwrap();
    mock.assert_async().await;
}
