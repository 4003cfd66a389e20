//! Creating a lead checked against the account's property definitions, on request.

use httpmock::prelude::*;
use hubspot_crm::Error;
use hubspot_crm::api::properties::types::CollectionResponsePropertyNoPaging;
use hubspot_crm::api::shared as api;
use hubspot_crm_mock::leads::operations::{CreateThen, CreateWhen};
use hubspot_crm_mock::properties::operations::{ListThen, ListWhen};
use serde_json::json;

use crate::support::client;

fn enumeration(name: &str, values: &[&str]) -> serde_json::Value {
    let options: Vec<_> = values
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"label": v.to_lowercase(), "value": v, "hidden": false, "displayOrder": i}))
        .collect();
    json!({
        "name": name, "label": name, "type": "enumeration", "fieldType": "select",
        "groupName": "lead_information", "options": options, "hidden": false, "calculated": false,
        "hasUniqueValue": false, "formField": true, "displayOrder": 1,
        "modificationMetadata": {"readOnlyValue": false, "readOnlyDefinition": true, "archivable": false}
    })
}

fn text(name: &str, read_only: bool) -> serde_json::Value {
    json!({
        "name": name, "label": name, "type": "string", "fieldType": "text",
        "groupName": "lead_information", "options": [], "hidden": false, "calculated": false,
        "hasUniqueValue": false, "formField": true, "displayOrder": 2,
        "modificationMetadata": {"readOnlyValue": read_only, "readOnlyDefinition": true, "archivable": false}
    })
}

#[tokio::test]
async fn values_outside_the_accounts_options_are_rejected_before_the_create() {
    let server = MockServer::start_async().await;
    let body = api::SimplePublicObjectInputForCreate {
        properties: [
            ("hs_lead_name", "Acme"),
            ("hs_lead_type", "UPSELL"),
            ("hs_lead_label", "HOT"),
        ]
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .into(),
        associations: vec![api::PublicAssociationsForObject {
            to: api::PublicObjectId { id: "51".into() },
            types: vec![api::AssociationSpec {
                association_category: api::AssociationSpecAssociationCategory::HubspotDefined,
                association_type_id: 578,
            }],
        }],
    };
    let created: api::SimplePublicObject = serde_json::from_value(json!({
        "id": "9001", "archived": false,
        "createdAt": "2026-11-26T10:00:00Z", "updatedAt": "2026-11-26T10:00:00Z",
        "properties": {"hs_lead_name": "Acme", "hs_lead_type": "UPSELL", "hs_lead_label": "HOT"}
    }))
    .unwrap();
    let definitions = server
        .mock_async(|when, then| {
            ListWhen::new(when).object_type("leads");
            // Raw: the typed answer would add the defaulted fields these definitions leave out.
            ListThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({"results": [
                    text("hs_lead_name", false),
                    text("hs_object_id", true),
                    enumeration("hs_lead_type", &["NEW_BUSINESS", "UPSELL"]),
                    enumeration("hs_lead_label", &["WARM", "HOT"]),
                ]}));
        })
        .await;
    let create = server
        .mock_async(|when, then| {
            CreateWhen::new(when).body(&body);
            CreateThen::new(then).success(201, &created);
        })
        .await;
    let leads = client(&server).leads();

    let unknown_label = leads
        .new_lead("Acme")
        .contact("51")
        .label("LUKEWARM")
        .check_against_definitions()
        .send()
        .await;
    match unknown_label {
        Err(Error::Validation(e)) => {
            assert_eq!(e.field, "hs_lead_label");
            assert!(
                e.reason.contains("WARM") && e.reason.contains("HOT"),
                "{}",
                e.reason
            );
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    let read_only = leads
        .new_lead("Acme")
        .contact("51")
        .property("hs_object_id", "1")
        .check_against_definitions()
        .send()
        .await;
    assert!(
        matches!(read_only, Err(Error::Validation(ref e)) if e.field == "hs_object_id"),
        "{read_only:?}"
    );
    create.assert_calls_async(0).await;

    let lead = leads
        .new_lead("Acme")
        .contact("51")
        .lead_type("UPSELL")
        .label("HOT")
        .check_against_definitions()
        .send()
        .await
        .unwrap();
    assert_eq!(lead.id, "9001");
    create.assert_calls_async(1).await;
    // Three checked creates, one read of the definitions.
    definitions.assert_calls_async(1).await;
}

#[tokio::test]
async fn without_the_option_no_definitions_are_read() {
    let server = MockServer::start_async().await;
    let no_definitions = CollectionResponsePropertyNoPaging { results: vec![] };
    let definitions = server
        .mock_async(|when, then| {
            ListWhen::new(when).object_type("leads");
            ListThen::new(then).success(200, &no_definitions);
        })
        .await;
    let create = server
        .mock_async(|when, then| {
            CreateWhen::new(when);
            CreateThen::new(then).client_error(
                400,
                json!({
                    "status": "error", "message": "Property values were not valid", "correlationId": "c-9",
                    "category": "VALIDATION_ERROR",
                    "errors": [{"message": "LUKEWARM was not one of the allowed options", "code": "INVALID_OPTION", "context": {"propertyName": ["hs_lead_label"]}}]
                }),
            );
        })
        .await;
    let result = client(&server)
        .leads()
        .new_lead("Acme")
        .contact("51")
        .label("LUKEWARM")
        .send()
        .await;
    let api = result.unwrap_err();
    assert_eq!(
        api.api_error().unwrap().errors[0].code.as_deref(),
        Some("INVALID_OPTION")
    );
    create.assert_calls_async(1).await;
    definitions.assert_calls_async(0).await;
}
