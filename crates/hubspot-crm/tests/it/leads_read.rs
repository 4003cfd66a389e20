//! Reading leads: single reads by id or unique property, list pages, batch reads (one request
//! for up to 100 ids, each id accounted for) and search, with exact query strings and bodies,
//! realistic answers, and limits checked before sending.

use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use hubspot_crm::{
    Error, FailureCause, Filter, FilterGroup, Operator, ReadOptions, SearchRequest, Sort,
    lead_properties as p,
};
use hubspot_crm_mock::leads::operations::{
    BatchReadThen, BatchReadWhen, GetThen, GetWhen, ListThen, ListWhen, SearchThen, SearchWhen,
};
use serde_json::{Value, json};

use crate::support::{
    TOKEN, catch_all, client, expect_validation, json_response, record_json, request_json,
};

/// `json` as the generated type `T`, which must serialize back to exactly `json`: a typed
/// body matches, and a typed answer sends, the same JSON as the literal.
fn typed<T: serde::Serialize + serde::de::DeserializeOwned>(json: Value) -> T {
    let value: T = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        json,
        "not kept as is"
    );
    value
}

/// A lead named `name` with an unset label.
fn lead_named(id: &str, name: &str) -> serde_json::Value {
    record_json(
        id,
        json!({"hs_lead_name": name, "hs_lead_label": null, "hs_object_id": id}),
    )
}

#[tokio::test]
async fn get_sends_properties_history_and_associations_and_parses_them() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            GetWhen::new(when)
                .leads_id(&"1001".parse().unwrap())
                .properties("hs_lead_name,hs_lead_label,hs_pipeline_stage")
                .properties_with_history("hs_lead_label")
                .associations("contacts,companies")
                .archived(false)
                .into_inner()
                .query_param_count(".*", ".*", 4)
                .header("authorization", format!("Bearer {TOKEN}"));
            // Raw: HubSpot's millisecond timestamps, which the typed answer would reformat.
            GetThen::new(then).into_inner().status(200).json_body(json!({
                "id": "1001",
                "properties": {
                    "hs_lead_name": "Acme renewal",
                    "hs_lead_label": "WARM",
                    "hs_pipeline_stage": null,
                    "hs_object_id": "1001"
                },
                "propertiesWithHistory": {
                    "hs_lead_label": [
                        {"value": "WARM", "timestamp": "2026-11-20T16:45:12.345Z", "sourceType": "CRM_UI", "sourceId": "userId:77", "updatedByUserId": 77},
                        {"value": "COLD", "timestamp": "2026-10-01T08:30:00.000Z", "sourceType": "API", "sourceLabel": "Integration"}
                    ]
                },
                "associations": {
                    "contacts": {"results": [
                        {"id": "51", "type": "lead_to_primary_contact"},
                        {"id": "51", "type": "lead_to_contact"}
                    ]},
                    "companies": {"results": [{"id": "77", "type": "lead_to_company"}]}
                },
                "createdAt": "2026-10-01T08:30:00.000Z",
                "updatedAt": "2026-11-20T16:45:12.345Z",
                "archived": false
            }));
        })
        .await;
    let options = ReadOptions::new()
        .properties([p::HS_LEAD_NAME, p::HS_LEAD_LABEL, p::HS_PIPELINE_STAGE])
        .properties_with_history([p::HS_LEAD_LABEL])
        .associations(["contacts", "companies"]);
    let lead = client(&server)
        .leads()
        .get_with("1001", &options)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(lead.property(p::HS_LEAD_LABEL), Some("WARM"));
    assert_eq!(lead.properties[p::HS_PIPELINE_STAGE], None);
    let history = lead.history(p::HS_LEAD_LABEL);
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].value, "WARM");
    assert_eq!(history[0].source_type, "CRM_UI");
    assert_eq!(history[0].updated_by_user_id, Some(77));
    assert_eq!(history[1].value, "COLD");
    assert_eq!(history[1].source_label.as_deref(), Some("Integration"));
    assert_eq!(history[1].updated_by_user_id, None);
    let contacts = &lead.associations["contacts"];
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0].id, "51");
    assert_eq!(contacts[0].type_, "lead_to_primary_contact");
    assert_eq!(contacts[1].type_, "lead_to_contact");
    assert_eq!(lead.associations["companies"][0].id, "77");
    assert_eq!(
        lead.updated_at.to_rfc3339(),
        "2026-11-20T16:45:12.345+00:00"
    );
}

#[tokio::test]
async fn get_without_options_sends_only_archived() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            GetWhen::new(when)
                .leads_id(&"1001".parse().unwrap())
                .archived(false)
                .into_inner()
                .query_param_count(".*", ".*", 1);
            // Raw: HubSpot's millisecond timestamps, which the typed answer would reformat.
            GetThen::new(then)
                .into_inner()
                .status(200)
                .json_body(lead_named("1001", "Acme"));
        })
        .await;
    let lead = client(&server).leads().get("1001").await.unwrap();
    mock.assert_async().await;
    assert_eq!(lead.property("hs_lead_name"), Some("Acme"));
    assert_eq!(lead.properties["hs_lead_label"], None);
    assert!(lead.associations.is_empty());
}

#[tokio::test]
async fn get_by_unique_property_sends_id_property() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            GetWhen::new(when)
                .leads_id(&"crm-ext-42".parse().unwrap())
                .id_property("external_lead_key")
                .properties("hs_lead_name")
                .archived(false)
                .into_inner()
                .query_param_count(".*", ".*", 3);
            // Raw: HubSpot's millisecond timestamps, which the typed answer would reformat.
            GetThen::new(then)
                .into_inner()
                .status(200)
                .json_body(lead_named("1001", "Acme"));
        })
        .await;
    let options = ReadOptions::new()
        .properties([p::HS_LEAD_NAME])
        .id_property("external_lead_key");
    let lead = client(&server)
        .leads()
        .get_with("crm-ext-42", &options)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(lead.id, "1001");
}

#[tokio::test]
async fn get_from_the_recycling_bin() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            GetWhen::new(when)
                .leads_id(&"1001".parse().unwrap())
                .archived(true)
                .into_inner()
                .query_param_count(".*", ".*", 1);
            // Raw: HubSpot's millisecond timestamps, which the typed answer would reformat.
            GetThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({
                    "id": "1001",
                    "properties": {"hs_lead_name": "Gone"},
                    "createdAt": "2026-10-01T08:30:00.000Z",
                    "updatedAt": "2026-11-21T09:00:00.000Z",
                    "archived": true,
                    "archivedAt": "2026-11-21T09:00:00.000Z"
                }));
        })
        .await;
    let lead = client(&server)
        .leads()
        .get_with("1001", &ReadOptions::new().archived(true))
        .await
        .unwrap();
    mock.assert_async().await;
    assert!(lead.archived);
    assert_eq!(
        lead.archived_at.unwrap().to_rfc3339(),
        "2026-11-21T09:00:00+00:00"
    );
}

#[tokio::test]
async fn missing_lead_is_object_not_found() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            GetWhen::new(when).leads_id(&"999999".parse().unwrap());
            GetThen::new(then).client_error(
                404,
                json!({
                    "status": "error",
                    "message": "Object not found.  objectId are usually numeric.",
                    "correlationId": "0b9a2a51-5b5b-4c9c-8d3e-1f2a3b4c5d6e",
                    "context": {"id": ["999999"]},
                    "category": "OBJECT_NOT_FOUND"
                }),
            );
        })
        .await;
    let err = client(&server).leads().get("999999").await.unwrap_err();
    mock.assert_async().await;
    let api = err.api_error().expect("an API error");
    assert!(matches!(err, Error::Api(_)));
    assert!(api.is_not_found());
    assert_eq!(api.status, 404);
    assert_eq!(api.category.as_deref(), Some("OBJECT_NOT_FOUND"));
    assert_eq!(
        api.correlation_id.as_deref(),
        Some("0b9a2a51-5b5b-4c9c-8d3e-1f2a3b4c5d6e")
    );
    assert_eq!(api.context["id"], ["999999"]);
}

#[tokio::test]
async fn malformed_ids_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    for bad in ["abc", "0", "", " 12", "1.5", "123456789012345678901"] {
        let e = expect_validation(leads.get(bad).await);
        assert_eq!(e.field, "id", "id {bad:?}");
    }
    let e = expect_validation(
        leads
            .get_with("x", &ReadOptions::new().id_property("  "))
            .await,
    );
    assert_eq!(e.field, "idProperty");
    let e = expect_validation(
        leads
            .get_with(" ", &ReadOptions::new().id_property("external_lead_key"))
            .await,
    );
    assert_eq!(e.field, "id");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn list_page_sends_cursor_and_returns_the_next_one() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .limit(2)
                .after("NTI1Cg%3D%3D")
                .properties("hs_lead_name")
                .associations("contacts")
                .archived(false)
                .into_inner()
                .query_param_count(".*", ".*", 5);
            ListThen::new(then).success(200, &typed(json!({
                "results": [
                    {
                        "id": "1001",
                        "properties": {"hs_lead_name": "A"},
                        "associations": {"contacts": {"results": [{"id": "51", "type": "lead_to_primary_contact"}]}},
                        "createdAt": "2026-10-01T08:30:00Z",
                        "updatedAt": "2026-10-01T08:30:00Z",
                        "archived": false
                    },
                    {
                        "id": "1002",
                        "properties": {"hs_lead_name": null},
                        "createdAt": "2026-10-01T08:30:00Z",
                        "updatedAt": "2026-10-01T08:30:00Z",
                        "archived": false
                    }
                ],
                "paging": {"next": {"after": "1003", "link": "https://api.hubapi.com/crm/v3/objects/leads?after=1003"}}
            })));
        })
        .await;
    let options = ReadOptions::new()
        .properties([p::HS_LEAD_NAME])
        .associations(["contacts"]);
    let page = client(&server)
        .leads()
        .list_page(&options, Some(2), Some("NTI1Cg%3D%3D"))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(page.results.len(), 2);
    assert_eq!(page.next_after.as_deref(), Some("1003"));
    assert_eq!(page.results[0].associations["contacts"][0].id, "51");
    assert_eq!(page.results[1].properties["hs_lead_name"], None);
    assert_eq!(page.total, None);
}

#[tokio::test]
async fn last_list_page_has_no_cursor() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .archived(false)
                .into_inner()
                .query_param_count(".*", ".*", 1);
            ListThen::new(then).success(200, &typed(json!({"results": []})));
        })
        .await;
    let page = client(&server)
        .leads()
        .list_page(&ReadOptions::new(), None, None)
        .await
        .unwrap();
    mock.assert_async().await;
    assert!(page.results.is_empty());
    assert_eq!(page.next_after, None);
}

#[tokio::test]
async fn list_limit_out_of_range_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    for bad in [0, 101] {
        let e = expect_validation(leads.list_page(&ReadOptions::new(), Some(bad), None).await);
        assert_eq!(e.field, "limit");
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn batch_read_by_ids_reports_missing_ones() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when)
                .archived(false)
                .body(&typed(json!({
                    "inputs": [{"id": "1001"}, {"id": "1002"}, {"id": "424242"}],
                    "properties": ["hs_lead_name", "hs_lead_label"],
                    "propertiesWithHistory": ["hs_lead_label"]
                })))
                .into_inner()
                .query_param_count(".*", ".*", 1);
            // Raw: HubSpot's millisecond timestamps, which the typed answer would reformat.
            BatchReadThen::new(then).into_inner().status(207).json_body(json!({
                "status": "COMPLETE",
                "results": [
                    {
                        "id": "1001",
                        "properties": {"hs_lead_name": "A", "hs_lead_label": null},
                        "propertiesWithHistory": {"hs_lead_label": []},
                        "createdAt": "2026-10-01T08:30:00Z",
                        "updatedAt": "2026-10-01T08:30:00Z",
                        "archived": false
                    },
                    {
                        "id": "1002",
                        "properties": {"hs_lead_name": "B", "hs_lead_label": "HOT"},
                        "propertiesWithHistory": {"hs_lead_label": [
                            {"value": "HOT", "timestamp": "2026-10-02T08:30:00Z", "sourceType": "API"}
                        ]},
                        "createdAt": "2026-10-01T08:30:00Z",
                        "updatedAt": "2026-10-02T08:30:00Z",
                        "archived": false
                    }
                ],
                "numErrors": 1,
                "errors": [{
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": "Could not get some LEAD objects, they may be deleted or not exist. Check that ids are valid.",
                    "context": {"ids": ["424242"]}
                }],
                "requestedAt": "2026-11-26T10:00:00.000Z",
                "startedAt": "2026-11-26T10:00:00.010Z",
                "completedAt": "2026-11-26T10:00:00.090Z"
            }));
        })
        .await;
    let options = ReadOptions::new()
        .properties([p::HS_LEAD_NAME, p::HS_LEAD_LABEL])
        .properties_with_history([p::HS_LEAD_LABEL]);
    let result = client(&server)
        .leads()
        .read_many(["1001", "1002", "424242"], &options)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(result.outcomes.len(), 3);
    assert_eq!(result.succeeded().count(), 2);
    let first = result.outcomes[0].succeeded().expect("1001 is read");
    assert_eq!(first.id, "1001");
    assert_eq!(first.properties["hs_lead_label"], None);
    assert!(first.history("hs_lead_label").is_empty());
    let second = result.outcomes[1].succeeded().expect("1002 is read");
    assert_eq!(second.id, "1002");
    assert_eq!(second.history("hs_lead_label")[0].value, "HOT");
    let missing = result.outcomes[2].failed().expect("424242 is missing");
    assert_eq!((missing.index, missing.input.as_str()), (2, "424242"));
    let FailureCause::Rejected(error) = &missing.cause else {
        panic!("expected HubSpot's error, got {:?}", missing.cause)
    };
    assert_eq!(error.status, 207);
    assert_eq!(error.item_status.as_deref(), Some("error"));
    assert_eq!(error.category.as_deref(), Some("OBJECT_NOT_FOUND"));
    assert!(error.is_not_found());
    assert_eq!(error.context["ids"], ["424242"]);
    assert!(result.unmatched_results.is_empty());
    assert!(result.unmatched_errors.is_empty());
}

#[tokio::test]
async fn batch_read_by_unique_property_sends_id_property() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when)
                .archived(false)
                // The id property is read too: its value ties each result to its input.
                .body(&typed(json!({
                    "idProperty": "external_lead_key",
                    "inputs": [{"id": "ext-a"}, {"id": "ext-b"}],
                    "properties": ["hs_lead_name", "external_lead_key"]
                })));
            BatchReadThen::new(then).success(
                200,
                &typed(json!({
                    "status": "COMPLETE",
                    "results": [{
                        "id": "1001",
                        "properties": {"hs_lead_name": "A", "external_lead_key": "ext-a"},
                        "createdAt": "2026-10-01T08:30:00Z",
                        "updatedAt": "2026-10-01T08:30:00Z",
                        "archived": false
                    }],
                    "startedAt": "2026-11-26T10:00:00.010Z",
                    "completedAt": "2026-11-26T10:00:00.090Z"
                })),
            );
        })
        .await;
    let options = ReadOptions::new()
        .properties([p::HS_LEAD_NAME])
        .id_property("external_lead_key");
    let result = client(&server)
        .leads()
        .read_many(vec!["ext-a".to_owned(), "ext-b".to_owned()], &options)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(result.outcomes.len(), 2);
    // Tied to its input by the unique property's value.
    assert_eq!(
        result.outcomes[0].succeeded().expect("ext-a is read").id,
        "1001"
    );
    // HubSpot neither returned nor rejected ext-b.
    let unanswered = result.outcomes[1].failed().expect("ext-b is not confirmed");
    assert_eq!((unanswered.index, unanswered.input.as_str()), (1, "ext-b"));
    assert!(
        matches!(&unanswered.cause, FailureCause::NotConfirmed { unattributed_errors } if unattributed_errors.is_empty()),
        "{:?}",
        unanswered.cause
    );
    assert!(result.unmatched_results.is_empty());
    assert!(result.unmatched_errors.is_empty());
}

#[tokio::test]
async fn bad_batch_reads_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let options = ReadOptions::new();

    let e = expect_validation(leads.read_many(["1", "abc", "3"], &options).await);
    assert_eq!((e.item, e.field.as_str()), (Some(1), "id"));
    let e = expect_validation(leads.read_many(["1", "2", "0"], &options).await);
    assert_eq!((e.item, e.field.as_str()), (Some(2), "id"));
    assert!(e.to_string().contains("item 2"), "{e}");

    let e = expect_validation(leads.read_many(["1", "2", "1"], &options).await);
    assert_eq!((e.item, e.field.as_str()), (Some(2), "id"));
    assert!(e.reason.contains("item 0"), "{}", e.reason);

    // No ids: nothing is sent, and there is nothing to report.
    let none = leads
        .read_many(Vec::<String>::new(), &options)
        .await
        .unwrap();
    assert!(none.outcomes.is_empty());

    let with_associations = ReadOptions::new().associations(["contacts"]);
    let e = expect_validation(leads.read_many(["1"], &with_associations).await);
    assert_eq!(e.field, "associations");

    let by_key = ReadOptions::new()
        .properties([p::HS_LEAD_NAME])
        .id_property("external_lead_key");
    let e = expect_validation(leads.read_many(["ext-a", " "], &by_key).await);
    assert_eq!((e.item, e.field.as_str()), (Some(1), "id"));

    // Without properties to read, results could not be tied to unique-property inputs.
    let unlisted = ReadOptions::new().id_property("external_lead_key");
    let e = expect_validation(leads.read_many(["ext-a"], &unlisted).await);
    assert_eq!((e.item, e.field.as_str()), (None, "properties"));
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn exactly_one_hundred_ids_are_sent_in_one_request() {
    let server = MockServer::start_async().await;
    let ids: Vec<String> = (1..=100).map(|i| i.to_string()).collect();
    let inputs: Vec<_> = ids.iter().map(|id| json!({"id": id})).collect();
    let mock = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when)
                .into_inner()
                .json_body_includes(json!({"inputs": inputs}).to_string());
            BatchReadThen::new(then).success(
                200,
                &typed(json!({
                    "status": "COMPLETE",
                    "results": [],
                    "startedAt": "2026-11-26T10:00:00.010Z",
                    "completedAt": "2026-11-26T10:00:00.090Z"
                })),
            );
        })
        .await;
    let result = client(&server)
        .leads()
        .read_many(ids, &ReadOptions::new())
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    // An answer without results confirms none of them.
    assert_eq!(result.outcomes.len(), 100);
    assert_eq!(result.failed().count(), 100);
}

#[tokio::test]
async fn a_hundred_and_one_ids_are_sent_in_two_requests() {
    let server = MockServer::start_async().await;
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let seen = sizes.clone();
    let mock = server
        .mock_async(|when, then| {
            BatchReadWhen::new(when).archived(false);
            // Raw: a result for each id the request carried.
            then.respond_with(move |req: &HttpMockRequest| {
                let body = request_json(req);
                let inputs = body["inputs"].as_array().unwrap();
                seen.lock().unwrap().push(inputs.len());
                let results: Vec<Value> = inputs
                    .iter()
                    .map(|input| lead_named(input["id"].as_str().unwrap(), "A"))
                    .collect();
                json_response(
                    200,
                    &json!({
                        "status": "COMPLETE",
                        "results": results,
                        "startedAt": "2026-11-26T10:00:00.010Z",
                        "completedAt": "2026-11-26T10:00:00.090Z"
                    }),
                )
            });
        })
        .await;
    let ids: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    let result = client(&server)
        .leads()
        .read_many(ids.clone(), &ReadOptions::new())
        .await
        .unwrap();
    mock.assert_calls_async(2).await;
    let mut sizes = sizes.lock().unwrap().clone();
    sizes.sort_unstable();
    assert_eq!(sizes, [1, 100]);
    let read: Vec<String> = result.succeeded().map(|r| r.id.clone()).collect();
    assert_eq!(read, ids);
}

#[tokio::test]
async fn search_sends_typed_filters_and_parses_total() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            SearchWhen::new(when)
                .body(&typed(json!({
                    "filterGroups": [
                        {"filters": [
                            {"propertyName": "hs_lead_label", "operator": "IN", "values": ["WARM", "HOT"]},
                            {"propertyName": "hs_createdate", "operator": "BETWEEN", "value": "2026-01-01", "highValue": "2026-06-30"}
                        ]},
                        {"filters": [
                            {"propertyName": "hubspot_owner_id", "operator": "EQ", "value": "9001"},
                            {"propertyName": "hs_pipeline_stage", "operator": "HAS_PROPERTY"}
                        ]}
                    ],
                    "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                    "query": "acme",
                    "properties": ["hs_lead_name", "hs_lead_label"],
                    "limit": 200,
                    "after": "400"
                })))
                .into_inner()
                .query_param_count(".*", ".*", 0);
            SearchThen::new(then).success(200, &typed(json!({
                "total": 1203,
                "results": [{
                    "id": "1001",
                    "properties": {
                        "hs_lead_name": "Acme renewal",
                        "hs_lead_label": "WARM",
                        "hs_createdate": "2026-02-03T04:05:06.789Z",
                        "hs_lastmodifieddate": null,
                        "hs_object_id": "1001"
                    },
                    "createdAt": "2026-02-03T04:05:06.789Z",
                    "updatedAt": "2026-02-03T04:05:06.789Z",
                    "archived": false
                }],
                "paging": {"next": {"after": "600"}}
            })));
        })
        .await;
    let request = SearchRequest::new()
        .filter_group(FilterGroup::new([
            Filter::is_in(p::HS_LEAD_LABEL, ["WARM", "HOT"]),
            Filter::between("hs_createdate", "2026-01-01", "2026-06-30"),
        ]))
        .filter_group(FilterGroup::new([
            Filter::eq(p::HUBSPOT_OWNER_ID, "9001"),
            Filter::has_property(p::HS_PIPELINE_STAGE),
        ]))
        .sort(Sort::ascending(p::HS_OBJECT_ID))
        .query("acme")
        .properties([p::HS_LEAD_NAME, p::HS_LEAD_LABEL])
        .limit(200)
        .after("400");
    let page = client(&server).leads().search_page(&request).await.unwrap();
    mock.assert_async().await;
    assert_eq!(page.total, Some(1203));
    assert_eq!(page.next_after.as_deref(), Some("600"));
    assert_eq!(page.results[0].property(p::HS_LEAD_LABEL), Some("WARM"));
    assert_eq!(page.results[0].properties["hs_lastmodifieddate"], None);
}

#[tokio::test]
async fn minimal_search_sends_a_minimal_body() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            SearchWhen::new(when).body(&typed(json!({
                "filterGroups": [{"filters": [
                    {"propertyName": "hs_lead_name", "operator": "CONTAINS_TOKEN", "value": "*renewal*"}
                ]}]
            })));
            SearchThen::new(then).success(200, &typed(json!({"total": 0, "results": []})));
        })
        .await;
    let request = SearchRequest::new().filter(Filter::compare(
        p::HS_LEAD_NAME,
        Operator::ContainsToken,
        "*renewal*",
    ));
    let page = client(&server).leads().search_page(&request).await.unwrap();
    mock.assert_async().await;
    assert_eq!(page.total, Some(0));
    assert!(page.results.is_empty());
    assert_eq!(page.next_after, None);
}

fn filters(n: usize) -> FilterGroup {
    FilterGroup::new((0..n).map(|i| Filter::eq(format!("prop_{i}"), "x")))
}

#[tokio::test]
async fn searches_over_hubspot_limits_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();

    let mut six_groups = SearchRequest::new();
    for _ in 0..6 {
        six_groups = six_groups.filter_group(filters(1));
    }
    let e = expect_validation(leads.search_page(&six_groups).await);
    assert_eq!(e.field, "filterGroups");

    let seven_in_a_group = SearchRequest::new()
        .filter_group(filters(1))
        .filter_group(filters(7));
    let e = expect_validation(leads.search_page(&seven_in_a_group).await);
    assert_eq!(e.field, "filterGroups[1].filters");

    // 4 groups of 5: within the per-group limit, over the 18 in all.
    let mut nineteen_plus = SearchRequest::new();
    for _ in 0..4 {
        nineteen_plus = nineteen_plus.filter_group(filters(5));
    }
    let e = expect_validation(leads.search_page(&nineteen_plus).await);
    assert_eq!(e.field, "filterGroups");
    assert!(e.reason.contains("20"), "{}", e.reason);

    let mut two_sorts = SearchRequest::new().sort(Sort::ascending(p::HS_OBJECT_ID));
    two_sorts
        .sorts
        .push(Sort::descending("hs_createdate").into());
    let e = expect_validation(leads.search_page(&two_sorts).await);
    assert_eq!(e.field, "sorts");

    let e = expect_validation(leads.search_page(&SearchRequest::new().limit(201)).await);
    assert_eq!(e.field, "limit");

    let e = expect_validation(
        leads
            .search_page(&SearchRequest::new().query("q".repeat(3001)))
            .await,
    );
    assert_eq!(e.field, "query");

    let e = expect_validation(
        leads
            .search_page(
                &SearchRequest::new().filter(Filter::is_in(p::HS_LEAD_LABEL, Vec::<String>::new())),
            )
            .await,
    );
    assert_eq!(e.field, "filterGroups[0].filters[0].values");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn searches_at_hubspot_limits_are_sent() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            SearchWhen::new(when);
            SearchThen::new(then).success(200, &typed(json!({"total": 0, "results": []})));
        })
        .await;
    let leads = client(&server).leads();
    // 3 groups of 6: 18 filters in all, the most HubSpot takes.
    let at_limits = SearchRequest::new()
        .filter_group(filters(6))
        .filter_group(filters(6))
        .filter_group(filters(6))
        .sort(Sort::descending("hs_createdate"))
        .limit(200)
        .query("q".repeat(3000));
    leads.search_page(&at_limits).await.unwrap();
    let mut five_groups = SearchRequest::new();
    for _ in 0..5 {
        five_groups = five_groups.filter_group(filters(1));
    }
    leads.search_page(&five_groups).await.unwrap();
    mock.assert_calls_async(2).await;
}
