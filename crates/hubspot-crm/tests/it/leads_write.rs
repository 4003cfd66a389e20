//! Changing leads: update, archive, single-request batches and the v3 per-lead association
//! endpoints, with exact requests, 207 partial failures, and bad input stopped before sending.

mod support;

use httpmock::prelude::*;
use hubspot_crm::api::leads::types as api;
use hubspot_crm::{AssociationType, Client, Error, NewRecord, RecordUpdate};
use hubspot_crm_mock::leads::operations::{
    AssociateThen, AssociateWhen, RemoveAssociationThen, RemoveAssociationWhen,
};
use serde_json::json;
use support::{TOKEN, catch_all, client, expect_validation, record_json};

fn update(id: &str, properties: &[(&str, &str)]) -> RecordUpdate {
    RecordUpdate {
        id: id.to_owned(),
        properties: properties
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..RecordUpdate::default()
    }
}

#[tokio::test]
async fn update_patches_and_an_empty_string_clears() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/crm/v3/objects/leads/1001")
                .query_param_count(".*", ".*", 0)
                .json_body(json!({"properties": {"hs_lead_label": "HOT", "hubspot_owner_id": ""}}));
            then.status(200).json_body(record_json(
                "1001",
                json!({"hs_lead_label": "HOT", "hubspot_owner_id": null, "hs_lastmodifieddate": "2026-11-26T10:00:00Z"}),
            ));
        })
        .await;
    let lead = client(&server)
        .leads()
        .update(update(
            "1001",
            &[("hs_lead_label", "HOT"), ("hubspot_owner_id", "")],
        ))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(lead.property("hs_lead_label"), Some("HOT"));
    assert_eq!(lead.properties["hubspot_owner_id"], None);
}

#[tokio::test]
async fn update_by_unique_property_sends_id_property() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/crm/v3/objects/leads/ext-42")
                .query_param("idProperty", "external_lead_key")
                .query_param_count(".*", ".*", 1)
                .json_body(json!({"properties": {"hs_lead_label": "COLD"}}));
            then.status(200)
                .json_body(record_json("1001", json!({"hs_lead_label": "COLD"})));
        })
        .await;
    let change = RecordUpdate {
        id_property: Some("external_lead_key".into()),
        ..update("ext-42", &[("hs_lead_label", "COLD")])
    };
    let lead = client(&server).leads().update(change).await.unwrap();
    mock.assert_async().await;
    assert_eq!(lead.id, "1001");
}

#[tokio::test]
async fn bad_updates_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let e = expect_validation(
        leads
            .update(update("abc", &[("hs_lead_label", "HOT")]))
            .await,
    );
    assert_eq!(e.field, "id");
    let e = expect_validation(leads.update(update("0", &[("hs_lead_label", "HOT")])).await);
    assert_eq!(e.field, "id");
    let e = expect_validation(leads.update(update("1001", &[])).await);
    assert_eq!(e.field, "properties");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn read_only_property_rejected_by_hubspot_is_typed() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PATCH).path("/crm/v3/objects/leads/1001");
            then.status(400).json_body(json!({
                "status": "error",
                "message": "Property values were not valid: [{\"isValid\":false,\"message\":\"hs_object_id is a read only property; its value cannot be set.\",\"error\":\"READ_ONLY_VALUE\",\"name\":\"hs_object_id\"}]",
                "correlationId": "c0ffee00-0000-4000-8000-000000000001",
                "category": "VALIDATION_ERROR",
                "errors": [{"message": "hs_object_id is a read only property; its value cannot be set.", "code": "READ_ONLY_VALUE", "context": {"propertyName": ["hs_object_id"]}}]
            }));
        })
        .await;
    let err = client(&server)
        .leads()
        .update(update("1001", &[("hs_object_id", "5")]))
        .await
        .unwrap_err();
    mock.assert_async().await;
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}")
    };
    assert_eq!(api.category.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(api.errors[0].code.as_deref(), Some("READ_ONLY_VALUE"));
    assert!(err.to_string().contains("read only"), "{err}");
}

#[tokio::test]
async fn archive_deletes_and_accepts_204() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/crm/v3/objects/leads/1001")
                .query_param_count(".*", ".*", 0);
            then.status(204);
        })
        .await;
    client(&server).leads().archive("1001").await.unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn archive_of_a_malformed_id_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    for bad in ["abc", "0", ""] {
        let e = expect_validation(leads.archive(bad).await);
        assert_eq!(e.field, "id");
    }
    any.assert_calls_async(0).await;
}

fn new_lead(client: &Client, name: &str, contact: &str, trace: &str) -> NewRecord {
    client
        .leads()
        .new_lead(name)
        .contact(contact)
        .trace_id(trace)
        .into_new_record()
}

#[tokio::test]
async fn batch_create_sends_trace_ids_and_types_a_partial_failure() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/crm/v3/objects/leads/batch/create")
                .query_param_count(".*", ".*", 0)
                .json_body(json!({"inputs": [
                    {
                        "properties": {"hs_lead_name": "A"},
                        "associations": [{"to": {"id": "51"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}],
                        "objectWriteTraceId": "t-0"
                    },
                    {
                        "properties": {"hs_lead_name": "B"},
                        "associations": [{"to": {"id": "999999"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}],
                        "objectWriteTraceId": "t-1"
                    }
                ]}));
            then.status(207).json_body(json!({
                "status": "COMPLETE",
                "results": [{
                    "id": "1001",
                    "properties": {"hs_lead_name": "A", "hs_lead_label": null},
                    "createdAt": "2026-11-26T10:00:00Z",
                    "updatedAt": "2026-11-26T10:00:00Z",
                    "archived": false,
                    "objectWriteTraceId": "t-0"
                }],
                "numErrors": 1,
                "errors": [{
                    "status": "error",
                    "category": "VALIDATION_ERROR",
                    "message": "One or more associations are invalid",
                    "context": {"objectWriteTraceId": ["t-1"]},
                    "errors": [{"message": "Contact 999999 does not exist", "code": "INVALID_ASSOCIATION", "in": "associations[0].to.id"}]
                }],
                "startedAt": "2026-11-26T10:00:00.010Z",
                "completedAt": "2026-11-26T10:00:00.090Z"
            }));
        })
        .await;
    let client = client(&server);
    let inputs = vec![
        new_lead(&client, "A", "51", "t-0"),
        new_lead(&client, "B", "999999", "t-1"),
    ];
    let response = client.leads().batch_create(inputs).await.unwrap();
    mock.assert_async().await;
    assert_eq!(response.status, "COMPLETE");
    assert_eq!(response.results.len(), 1);
    assert_eq!(
        response.results[0].object_write_trace_id.as_deref(),
        Some("t-0")
    );
    assert_eq!(response.results[0].properties["hs_lead_label"], None);
    let failed = &response.errors[0];
    assert_eq!(failed.category.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(failed.context["objectWriteTraceId"], ["t-1"]);
    assert_eq!(
        failed.errors[0].code.as_deref(),
        Some("INVALID_ASSOCIATION")
    );
    assert_eq!(
        failed.errors[0].in_.as_deref(),
        Some("associations[0].to.id")
    );
}

#[tokio::test]
async fn bad_batch_creates_name_the_item_and_send_nothing() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let client = client(&server);
    let leads = client.leads();

    let mut inputs: Vec<NewRecord> = (0..3)
        .map(|i| new_lead(&client, "ok", "51", &format!("t-{i}")))
        .collect();
    inputs[2].associations.clear();
    let e = expect_validation(leads.batch_create(inputs).await);
    assert_eq!((e.item, e.field.as_str()), (Some(2), "associations"));
    assert!(e.to_string().contains("item 2"), "{e}");

    let blank_name = vec![
        new_lead(&client, "ok", "51", "t-0"),
        new_lead(&client, " ", "51", "t-1"),
    ];
    let e = expect_validation(leads.batch_create(blank_name).await);
    assert_eq!((e.item, e.field.as_str()), (Some(1), "hs_lead_name"));

    let bad_contact = vec![new_lead(&client, "ok", "abc", "t-0")];
    let e = expect_validation(leads.batch_create(bad_contact).await);
    assert_eq!(
        (e.item, e.field.as_str()),
        (Some(0), "associations[0].to.id")
    );

    let same_trace = vec![
        new_lead(&client, "a", "51", "t-same"),
        new_lead(&client, "b", "52", "t-other"),
        new_lead(&client, "c", "53", "t-same"),
    ];
    let e = expect_validation(leads.batch_create(same_trace).await);
    assert_eq!((e.item, e.field.as_str()), (Some(2), "objectWriteTraceId"));
    assert!(e.reason.contains("item 0"), "{}", e.reason);

    let too_many: Vec<NewRecord> = (0..101)
        .map(|i| new_lead(&client, "ok", "51", &format!("t-{i}")))
        .collect();
    let e = expect_validation(leads.batch_create(too_many).await);
    assert_eq!((e.item, e.field.as_str()), (None, "inputs"));

    let e = expect_validation(leads.batch_create(Vec::new()).await);
    assert_eq!(e.field, "inputs");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn batch_update_sends_each_input() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/crm/v3/objects/leads/batch/update")
                .json_body(json!({"inputs": [
                    {"id": "1001", "properties": {"hs_lead_label": "HOT"}},
                    {"id": "ext-9", "idProperty": "external_lead_key", "properties": {"hs_lead_label": ""}}
                ]}));
            then.status(200).json_body(json!({
                "status": "COMPLETE",
                "results": [
                    {"id": "1001", "properties": {"hs_lead_label": "HOT"}, "createdAt": "2026-10-01T08:30:00Z", "updatedAt": "2026-11-26T10:00:00Z", "archived": false},
                    {"id": "1009", "properties": {"hs_lead_label": null}, "createdAt": "2026-10-01T08:30:00Z", "updatedAt": "2026-11-26T10:00:00Z", "archived": false}
                ],
                "requestedAt": "2026-11-26T10:00:00.000Z",
                "startedAt": "2026-11-26T10:00:00.010Z",
                "completedAt": "2026-11-26T10:00:00.090Z"
            }));
        })
        .await;
    let inputs = vec![
        update("1001", &[("hs_lead_label", "HOT")]),
        RecordUpdate {
            id_property: Some("external_lead_key".into()),
            ..update("ext-9", &[("hs_lead_label", "")])
        },
    ];
    let response = client(&server).leads().batch_update(inputs).await.unwrap();
    mock.assert_async().await;
    assert_eq!(response.results.len(), 2);
    assert_eq!(response.results[1].properties["hs_lead_label"], None);
    assert!(response.errors.is_empty());
}

#[tokio::test]
async fn bad_batch_updates_name_the_item_and_send_nothing() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let e = expect_validation(
        leads
            .batch_update(vec![
                update("1001", &[("a", "1")]),
                update("abc", &[("a", "1")]),
            ])
            .await,
    );
    assert_eq!((e.item, e.field.as_str()), (Some(1), "id"));
    let e = expect_validation(leads.batch_update(vec![update("1001", &[])]).await);
    assert_eq!((e.item, e.field.as_str()), (Some(0), "properties"));
    let too_many = (1..=101)
        .map(|i| update(&i.to_string(), &[("a", "1")]))
        .collect();
    let e = expect_validation(leads.batch_update(too_many).await);
    assert_eq!(e.field, "inputs");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn batch_upsert_reports_created_and_updated() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/crm/v3/objects/leads/batch/upsert")
                .json_body(json!({"inputs": [
                    {"id": "ext-1", "idProperty": "external_lead_key", "properties": {"hs_lead_label": "WARM"}},
                    {"id": "ext-2", "idProperty": "external_lead_key", "properties": {"hs_lead_label": "COLD"}}
                ]}));
            then.status(200).json_body(json!({
                "status": "COMPLETE",
                "results": [
                    {"id": "1001", "new": false, "properties": {"hs_lead_label": "WARM"}, "createdAt": "2026-10-01T08:30:00Z", "updatedAt": "2026-11-26T10:00:00Z", "archived": false},
                    {"id": "1010", "new": true, "properties": {"hs_lead_label": "COLD", "hs_lead_name": null}, "createdAt": "2026-11-26T10:00:00Z", "updatedAt": "2026-11-26T10:00:00Z", "archived": false}
                ],
                "startedAt": "2026-11-26T10:00:00.010Z",
                "completedAt": "2026-11-26T10:00:00.090Z"
            }));
        })
        .await;
    let by_key = |id: &str, label: &str| RecordUpdate {
        id_property: Some("external_lead_key".into()),
        ..update(id, &[("hs_lead_label", label)])
    };
    let response = client(&server)
        .leads()
        .batch_upsert(vec![by_key("ext-1", "WARM"), by_key("ext-2", "COLD")])
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(response.results[0].new, Some(false));
    assert_eq!(response.results[1].new, Some(true));
    assert_eq!(response.results[1].properties["hs_lead_name"], None);
}

#[tokio::test]
async fn upserts_without_a_unique_property_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let keyed = RecordUpdate {
        id_property: Some("external_lead_key".into()),
        ..update("ext-1", &[("hs_lead_label", "WARM")])
    };
    let e = expect_validation(
        leads
            .batch_upsert(vec![
                keyed.clone(),
                update("1001", &[("hs_lead_label", "WARM")]),
            ])
            .await,
    );
    assert_eq!((e.item, e.field.as_str()), (Some(1), "idProperty"));
    let blank_value = RecordUpdate {
        id: "  ".into(),
        ..keyed.clone()
    };
    let e = expect_validation(leads.batch_upsert(vec![blank_value]).await);
    assert_eq!((e.item, e.field.as_str()), (Some(0), "id"));
    let e = expect_validation(leads.batch_upsert(vec![keyed; 101]).await);
    assert_eq!(e.field, "inputs");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn batch_archive_sends_ids() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/crm/v3/objects/leads/batch/archive")
                .json_body(json!({"inputs": [{"id": "1001"}, {"id": "1002"}]}));
            then.status(204);
        })
        .await;
    client(&server)
        .leads()
        .batch_archive(["1001", "1002"])
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn bad_batch_archives_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let e = expect_validation(leads.batch_archive(["1001", "0"]).await);
    assert_eq!((e.item, e.field.as_str()), (Some(1), "id"));
    let e = expect_validation(leads.batch_archive(["abc"]).await);
    assert_eq!((e.item, e.field.as_str()), (Some(0), "id"));
    let too_many: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    let e = expect_validation(leads.batch_archive(too_many).await);
    assert_eq!(e.field, "inputs");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn associate_v3_puts_the_path_and_returns_associations() {
    let server = MockServer::start_async().await;
    let response: api::SimplePublicObjectWithAssociations = serde_json::from_value(json!({
        "id": "1001",
        "properties": {"hs_lead_name": "Acme", "hs_lead_label": null},
        "associations": {
            "contacts": {"results": [
                {"id": "51", "type": "lead_to_primary_contact"},
                {"id": "52", "type": "lead_to_contact"}
            ]}
        },
        "createdAt": "2026-10-01T08:30:00Z",
        "updatedAt": "2026-11-26T10:00:00Z",
        "archived": false
    }))
    .unwrap();
    let mock = server
        .mock_async(|when, then| {
            AssociateWhen::new(when)
                .lead_id("1001")
                .to_object_type("contacts")
                .to_object_id("52")
                .association_type_id(608)
                .into_inner()
                .path("/crm/v3/objects/leads/1001/associations/contacts/52/608")
                .query_param_count(".*", ".*", 0)
                .header("authorization", format!("Bearer {TOKEN}"))
                .body("");
            AssociateThen::new(then).success(200, &response);
        })
        .await;
    let lead = client(&server)
        .leads()
        .associate_v3("1001", "contacts", "52", 608)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(lead.id, "1001");
    assert_eq!(lead.properties["hs_lead_label"], None);
    let contacts = &lead.associations["contacts"];
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[1].id, "52");
    assert_eq!(contacts[1].association_type, "lead_to_contact");
}

#[tokio::test]
async fn associate_v3_takes_object_type_ids() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/crm/v3/objects/leads/1001/associations/0-2/77/610");
            then.status(200).json_body(record_json("1001", json!({})));
        })
        .await;
    let lead = client(&server)
        .leads()
        .associate_v3("1001", "0-2", "77", AssociationType::hubspot(610).type_id)
        .await
        .unwrap();
    mock.assert_async().await;
    assert!(lead.associations.is_empty());
}

#[tokio::test]
async fn remove_association_v3_deletes_the_path() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            RemoveAssociationWhen::new(when)
                .into_inner()
                .path("/crm/v3/objects/leads/1001/associations/companies/77/610")
                .query_param_count(".*", ".*", 0);
            RemoveAssociationThen::new(then).success(204);
        })
        .await;
    client(&server)
        .leads()
        .remove_association_v3("1001", "companies", "77", 610)
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn association_errors_from_hubspot_are_typed() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            RemoveAssociationWhen::new(when).lead_id("1001");
            RemoveAssociationThen::new(then).client_error(
                404,
                json!({
                    "status": "error",
                    "message": "No LEAD with ID 1001 exists",
                    "correlationId": "aaaa0000-1111-2222-3333-444455556666",
                    "category": "OBJECT_NOT_FOUND"
                }),
            );
        })
        .await;
    let err = client(&server)
        .leads()
        .remove_association_v3("1001", "contacts", "51", 578)
        .await
        .unwrap_err();
    mock.assert_async().await;
    let api = err.api_error().expect("an API error");
    assert!(api.is_not_found());
    assert_eq!(
        api.correlation_id.as_deref(),
        Some("aaaa0000-1111-2222-3333-444455556666")
    );
}

#[tokio::test]
async fn malformed_association_paths_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let cases: [(&str, &str, &str, i32, &str); 7] = [
        ("abc", "contacts", "51", 608, "leadId"),
        ("0", "contacts", "51", 608, "leadId"),
        ("1001", "", "51", 608, "toObjectType"),
        ("1001", "contacts/../deals", "51", 608, "toObjectType"),
        ("1001", "contacts", "abc", 608, "toObjectId"),
        ("1001", "contacts", "51", 0, "associationTypeId"),
        ("1001", "contacts", "51", -578, "associationTypeId"),
    ];
    for (lead, kind, to, type_id, field) in cases {
        let e = expect_validation(leads.associate_v3(lead, kind, to, type_id).await);
        assert_eq!(e.field, field);
        let e = expect_validation(leads.remove_association_v3(lead, kind, to, type_id).await);
        assert_eq!(e.field, field);
    }
    any.assert_calls_async(0).await;
}
