//! Creating leads: the typed builder's exact request, lead rules checked before sending, and
//! HubSpot's answers.

use httpmock::prelude::*;
use hubspot_crm::api::shared as api;
use hubspot_crm::{
    AssociationCategory, AssociationType, Error, Lead, NewRecord, lead_properties as p,
};
use hubspot_crm_mock::leads::operations::{CreateThen, CreateWhen};
use serde_json::{Value, json};

use crate::support::{
    TOKEN, catch_all, client, client_with, expect_validation, record_json, tiny_retries,
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

/// HubSpot's answer to a create: the record and a link to it in HubSpot's app.
fn created(id: &str, properties: serde_json::Value) -> serde_json::Value {
    let mut record = record_json(id, properties);
    record["url"] = json!(format!(
        "https://app.hubspot.com/contacts/1/record/0-136/{id}"
    ));
    record
}

#[tokio::test]
async fn builder_sends_every_property_and_association_exactly() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            CreateWhen::new(when)
                .body(&typed(json!({
                    "properties": {
                        "hs_lead_name": "Acme renewal",
                        "hs_lead_type": "NEW BUSINESS",
                        "hs_lead_label": "WARM",
                        "hubspot_owner_id": "9001",
                        "hs_pipeline": "lead-pipeline-id",
                        "hs_pipeline_stage": "new-stage-id",
                        "budget_note": "Q3"
                    },
                    "associations": [
                        {"to": {"id": "51"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]},
                        {"to": {"id": "77"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 610}]},
                        {"to": {"id": "52"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 608}]},
                        {"to": {"id": "300"}, "types": [{"associationCategory": "USER_DEFINED", "associationTypeId": 17}]}
                    ]
                })))
                .into_inner()
                .query_param_count(".*", ".*", 0)
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("content-type", "application/json");
            // Raw: HubSpot's millisecond timestamps, which the typed answer would reformat.
            CreateThen::new(then).into_inner().status(201).json_body(created(
                "1001",
                json!({
                    "hs_lead_name": "Acme renewal",
                    "hs_lead_type": "NEW BUSINESS",
                    "hs_lead_label": "WARM",
                    "hs_pipeline": "lead-pipeline-id",
                    "hs_pipeline_stage": "new-stage-id",
                    "hs_lead_disqualification_reason": null,
                    "hs_object_id": "1001",
                    "hs_createdate": "2026-11-26T10:00:00.000Z"
                }),
            ));
        })
        .await;
    let lead = client(&server)
        .leads()
        .new_lead("Acme renewal")
        .contact("51")
        .company("77")
        .contact_with_type("52", AssociationType::hubspot(608))
        .associate(
            "300",
            AssociationType {
                category: AssociationCategory::UserDefined,
                type_id: 17,
            },
        )
        .lead_type("NEW BUSINESS")
        .label("WARM")
        .owner("9001")
        .pipeline("lead-pipeline-id")
        .stage("new-stage-id")
        .property("budget_note", "Q3")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(lead.id, "1001");
    assert_eq!(lead.property(p::HS_LEAD_NAME), Some("Acme renewal"));
    assert_eq!(lead.property(p::HS_PIPELINE_STAGE), Some("new-stage-id"));
    assert_eq!(lead.properties["hs_lead_disqualification_reason"], None);
    assert!(!lead.archived);
    assert_eq!(lead.new, None);
}

#[tokio::test]
async fn typed_mock_matches_the_minimal_create_and_a_200_is_accepted() {
    let server = MockServer::start_async().await;
    let body = api::SimplePublicObjectInputForCreate {
        associations: vec![api::PublicAssociationsForObject {
            to: api::PublicObjectId { id: "51".into() },
            types: vec![api::AssociationSpec {
                association_category: api::AssociationSpecAssociationCategory::HubspotDefined,
                association_type_id: 578,
            }],
        }],
        properties: [(p::HS_LEAD_NAME.to_owned(), "Minimal".to_owned())].into(),
    };
    let response: api::SimplePublicObject = serde_json::from_value(created(
        "1002",
        json!({"hs_lead_name": "Minimal", "hs_lead_label": null}),
    ))
    .unwrap();
    let mock = server
        .mock_async(|when, then| {
            CreateWhen::new(when).body(&body);
            // HubSpot has answered 200 where its spec says 201.
            CreateThen::new(then).success(200, &response);
        })
        .await;
    let lead = client(&server)
        .leads()
        .new_lead("Minimal")
        .contact("51")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(lead.id, "1002");
    assert_eq!(lead.properties["hs_lead_label"], None);
}

#[tokio::test]
async fn repeated_association_is_sent_once() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            CreateWhen::new(when).body(&typed(json!({
                "properties": {"hs_lead_name": "Once"},
                "associations": [
                    {"to": {"id": "51"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}
                ]
            })));
            // Raw: HubSpot's millisecond timestamps, which the typed answer would reformat.
            CreateThen::new(then)
                .into_inner()
                .status(201)
                .json_body(created("1003", json!({"hs_lead_name": "Once"})));
        })
        .await;
    client(&server)
        .leads()
        .new_lead("Once")
        .contact("51")
        .contact("51")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn into_new_record_carries_trace_id_and_associations() {
    let server = MockServer::start_async().await;
    let record = client(&server)
        .leads()
        .new_lead("Batch me")
        .contact("51")
        .label("COLD")
        .trace_id("trace-7")
        .into_new_record();
    // Every field of the generated input, so that none goes unchecked.
    let api::SimplePublicObjectBatchInputForCreate {
        properties,
        associations,
        object_write_trace_id,
    } = record.into_input();
    assert_eq!(
        properties,
        [
            ("hs_lead_name".to_owned(), "Batch me".to_owned()),
            ("hs_lead_label".to_owned(), "COLD".to_owned()),
        ]
        .into()
    );
    assert_eq!(associations.len(), 1);
    assert_eq!(associations[0].to.id, "51");
    assert_eq!(associations[0].types.len(), 1);
    assert_eq!(
        associations[0].types[0].association_category,
        api::AssociationSpecAssociationCategory::HubspotDefined
    );
    assert_eq!(associations[0].types[0].association_type_id, 578);
    assert_eq!(object_write_trace_id.as_deref(), Some("trace-7"));
}

#[tokio::test]
async fn blank_name_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let e = expect_validation(leads.new_lead("   ").contact("51").send().await);
    assert_eq!(e.field, "hs_lead_name");
    assert_eq!(e.item, None);
    let e = expect_validation(leads.new_lead("").contact("51").send().await);
    assert_eq!(e.field, "hs_lead_name");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn missing_name_is_rejected_on_every_create_path() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let client = client(&server);
    let record = NewRecord::new().associate("51", AssociationType::hubspot(578));
    let e = expect_validation(client.leads().create(record.clone()).await);
    assert_eq!(e.field, "hs_lead_name");
    let e = expect_validation(client.objects::<Lead>().create(record).await);
    assert_eq!(e.field, "hs_lead_name");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_lead_without_a_contact_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    let no_associations = expect_validation(leads.new_lead("Acme").send().await);
    assert_eq!(no_associations.field, "associations");
    assert!(no_associations.reason.contains("contact"));
    let company_only = expect_validation(leads.new_lead("Acme").company("77").send().await);
    assert_eq!(company_only.field, "associations");
    // A custom label between lead and contact is not the contact HubSpot requires.
    let label_only = expect_validation(
        leads
            .new_lead("Acme")
            .contact_with_type(
                "51",
                AssociationType {
                    category: AssociationCategory::UserDefined,
                    type_id: 578,
                },
            )
            .send()
            .await,
    );
    assert_eq!(label_only.field, "associations");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn malformed_contact_ids_are_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let leads = client(&server).leads();
    for bad in ["abc", "0", "", "12a", "-5", "000"] {
        let e = expect_validation(leads.new_lead("Acme").contact(bad).send().await);
        assert_eq!(e.field, "associations[0].to.id", "id {bad:?}");
        assert!(e.to_string().contains("associations[0].to.id"));
    }
    let e = expect_validation(
        leads
            .new_lead("Acme")
            .contact("51")
            .company("abc")
            .send()
            .await,
    );
    assert_eq!(e.field, "associations[1].to.id");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn blank_custom_property_name_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server).await;
    let e = expect_validation(
        client(&server)
            .leads()
            .new_lead("Acme")
            .contact("51")
            .property(" ", "x")
            .send()
            .await,
    );
    assert_eq!(e.field, "properties");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn hubspot_validation_error_is_typed() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            CreateWhen::new(when);
            CreateThen::new(then).client_error(
                400,
                json!({
                    "status": "error",
                    "message": "Property values were not valid: [{\"isValid\":false,\"message\":\"WARMISH was not one of the allowed options\",\"error\":\"INVALID_OPTION\",\"name\":\"hs_lead_label\"}]",
                    "correlationId": "8f1c2a9e-1b7a-4c1e-9a51-2f0c1d3e4b5a",
                    "category": "VALIDATION_ERROR",
                    "errors": [{
                        "message": "WARMISH was not one of the allowed options",
                        "code": "INVALID_OPTION",
                        "context": {"propertyName": ["hs_lead_label"]}
                    }]
                }),
            );
        })
        .await;
    let err = client(&server)
        .leads()
        .new_lead("Acme")
        .contact("51")
        .label("WARMISH")
        .send()
        .await
        .unwrap_err();
    mock.assert_async().await;
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}")
    };
    assert_eq!(api.status, 400);
    assert_eq!(api.category.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(
        api.correlation_id.as_deref(),
        Some("8f1c2a9e-1b7a-4c1e-9a51-2f0c1d3e4b5a")
    );
    assert_eq!(api.errors.len(), 1);
    assert_eq!(api.errors[0].code.as_deref(), Some("INVALID_OPTION"));
    assert_eq!(api.errors[0].context["propertyName"], ["hs_lead_label"]);
    assert_eq!(err.status(), Some(400));
    let text = err.to_string();
    assert!(text.contains("VALIDATION_ERROR"), "{text}");
    assert!(text.contains("8f1c2a9e"), "{text}");
}

#[tokio::test]
async fn a_create_that_hits_a_gateway_error_is_not_resent() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            CreateWhen::new(when);
            // Raw: an HTML page, which no typed answer sends.
            CreateThen::new(then)
                .into_inner()
                .status(502)
                .header("content-type", "text/html")
                .body(
                    "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>",
                );
        })
        .await;
    let client = client_with(&server, |b| b.retry(tiny_retries(4)));
    let err = client
        .leads()
        .new_lead("Acme")
        .contact("51")
        .send()
        .await
        .unwrap_err();
    // Resending could create a duplicate lead: exactly one attempt.
    mock.assert_calls_async(1).await;
    match err {
        Error::OutcomeUnknown {
            operation, cause, ..
        } => {
            assert_eq!(operation, "objects.create");
            assert!(cause.contains("502"), "{cause}");
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
}
