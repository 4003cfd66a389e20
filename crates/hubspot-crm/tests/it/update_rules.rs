//! `CrmObject::validate_update`: an object type's rules for changes, checked before sending.

use httpmock::prelude::*;
use hubspot_crm::{
    BulkOptions, CrmObject, FailureCause, InvalidInputs, ItemOutcome, RecordUpdate, ValidationError,
};
use serde_json::json;

use crate::support::{catch_all, client, expect_validation, record_json, traced_body};

/// Deals whose name may change but not be cleared.
struct Deal;

impl CrmObject for Deal {
    const OBJECT_TYPE: &'static str = "deals";
    const OBJECT_TYPE_ID: &'static str = "0-3";

    fn validate_update(update: &RecordUpdate) -> Result<(), ValidationError> {
        match update.properties.get("dealname") {
            Some(name) if name.trim().is_empty() => {
                Err(ValidationError::new("dealname", "cannot be cleared"))
            }
            _ => Ok(()),
        }
    }
}

#[tokio::test]
async fn a_lead_update_clearing_its_name_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let leads = client(&server).leads();
    let error = expect_validation(
        leads
            .update(RecordUpdate::new("17").property("hs_lead_name", " "))
            .await,
    );
    assert_eq!((error.item, error.field.as_str()), (None, "hs_lead_name"));
    let error = expect_validation(
        leads
            .update_many(vec![
                RecordUpdate::new("17").property("hs_lead_label", "WARM"),
                RecordUpdate::new("18").property("hs_lead_name", ""),
            ])
            .await,
    );
    assert_eq!(
        (error.item, error.field.as_str()),
        (Some(1), "hs_lead_name")
    );
    assert_eq!(anything.calls_async().await, 0);
}

#[tokio::test]
async fn an_object_types_update_rule_applies_to_single_bulk_and_upsert_writes() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let deals = client(&server).objects::<Deal>();
    let clear = || RecordUpdate::new("5").property("dealname", "");
    assert_eq!(
        expect_validation(deals.update(clear()).await).field,
        "dealname"
    );
    assert_eq!(
        expect_validation(deals.update_many(vec![clear()]).await).item,
        Some(0)
    );
    let upsert = RecordUpdate::new("ext-5")
        .id_property("external_id")
        .property("dealname", "");
    assert_eq!(
        expect_validation(deals.upsert_many(vec![upsert]).await).field,
        "dealname"
    );
    assert_eq!(anything.calls_async().await, 0);
}

#[tokio::test]
async fn with_invalid_inputs_rejected_a_change_breaking_the_rule_is_its_own_failure_and_the_rest_is_sent()
 {
    let server = MockServer::start_async().await;
    let update = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/crm/v3/objects/deals/batch/update")
                .is_true(traced_body(json!({"inputs": [
                    {"id": "6", "properties": {"dealname": "Renewal"}}
                ]})));
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({
                    "status": "COMPLETE",
                    "results": [record_json("6", json!({"dealname": "Renewal"}))],
                    "startedAt": "2026-12-08T10:00:00Z",
                    "completedAt": "2026-12-08T10:00:01Z"
                }));
        })
        .await;
    let deals = client(&server).objects::<Deal>();
    let result = deals
        .bulk(BulkOptions::default().invalid_inputs(InvalidInputs::Reject))
        .update(vec![
            RecordUpdate::new("5").property("dealname", ""),
            RecordUpdate::new("6").property("dealname", "Renewal"),
        ])
        .await
        .unwrap();
    match &result.outcomes[0] {
        ItemOutcome::Failed(failure) => match &failure.cause {
            FailureCause::Invalid(error) => assert_eq!(error.field, "dealname"),
            other => panic!("expected the client's own refusal, got {other:?}"),
        },
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(matches!(&result.outcomes[1], ItemOutcome::Succeeded(record) if record.id == "6"));
    assert_eq!(update.calls_async().await, 1);
}
