//! Association labels: parsing HubSpot's label list, the per-client cache (shared by clones,
//! never by separate clients), lookups by name, and associating a lead by label.

use crate::support::{TOKEN, catch_all, client, expect_validation, user_defined};
use httpmock::prelude::*;
use hubspot_crm::api::shared::associations::AssociationSpec;
use hubspot_crm::{AssociationCategory, AssociationLabel, AssociationType};
// `ListWhen`/`ListThen` list the labels of a pair; `CreateWhen`/`CreateThen` associate two
// records (v4).
use hubspot_crm_mock::association_labels::operations::{ListThen, ListWhen};
use hubspot_crm_mock::associations::operations::{CreateThen, CreateWhen};
use serde_json::json;

/// Each label's typed category, type id and label, in HubSpot's order.
fn fields(labels: &[AssociationLabel]) -> Vec<(AssociationCategory, i32, Option<&str>)> {
    labels
        .iter()
        .map(|l| (l.category(), l.type_id, l.label.as_deref()))
        .collect()
}

/// HubSpot's answer for leads → companies in an account with two custom labels. Answered
/// raw: the typed answer would drop the `"label": null` the tests read.
fn lead_company_labels() -> serde_json::Value {
    json!({"results": [
        {"category": "HUBSPOT_DEFINED", "typeId": 610, "label": null},
        {"category": "HUBSPOT_DEFINED", "typeId": 580, "label": "Primary"},
        {"category": "USER_DEFINED", "typeId": 37, "label": "Decision maker's company"},
        {"category": "USER_DEFINED", "typeId": 39, "label": "Billing"},
        {"category": "PARTNER_DEFINED", "typeId": 4001, "label": "Reseller"}
    ]})
}

async fn labels_mock(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .from_object_type("leads")
                .to_object_type("companies")
                .into_inner()
                .header("authorization", format!("Bearer {TOKEN}"))
                .query_param_count(".*", ".*", 0);
            ListThen::new(then)
                .into_inner()
                .status(200)
                .json_body(lead_company_labels());
        })
        .await
}

#[tokio::test]
async fn labels_are_typed_with_null_labels_and_unknown_categories() {
    let server = MockServer::start_async().await;
    let mock = labels_mock(&server).await;
    let labels = client(&server)
        .associations()
        .labels("leads", "companies")
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        fields(&labels),
        [
            (AssociationCategory::HubSpotDefined, 610, None),
            (AssociationCategory::HubSpotDefined, 580, Some("Primary")),
            (
                AssociationCategory::UserDefined,
                37,
                Some("Decision maker's company")
            ),
            (AssociationCategory::UserDefined, 39, Some("Billing")),
            (
                AssociationCategory::Other("PARTNER_DEFINED".into()),
                4001,
                Some("Reseller")
            ),
        ]
    );
}

#[tokio::test]
async fn the_second_lookup_of_a_pair_sends_nothing_even_from_a_clone() {
    let server = MockServer::start_async().await;
    let mock = labels_mock(&server).await;
    let client = client(&server);
    let first = client
        .associations()
        .labels("leads", "companies")
        .await
        .unwrap();
    let again = client
        .associations()
        .labels("leads", "companies")
        .await
        .unwrap();
    let from_clone = client
        .clone()
        .associations()
        .type_for_label("leads", "companies", "Billing")
        .await
        .unwrap();
    // Singular names and type ids name the same pair.
    let by_other_names = client.associations().labels("lead", "0-2").await.unwrap();
    mock.assert_calls_async(1).await;
    assert_eq!(fields(&first), fields(&again));
    assert_eq!(fields(&first), fields(&by_other_names));
    assert_eq!(from_clone, user_defined(39));
}

#[tokio::test]
async fn concurrent_lookups_share_one_request() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .from_object_type("leads")
                .to_object_type("companies");
            ListThen::new(then)
                .into_inner()
                .status(200)
                .delay(std::time::Duration::from_millis(50))
                .json_body(lead_company_labels());
        })
        .await;
    let client = client(&server);
    let (first, second, third) = (
        client.associations(),
        client.clone().associations(),
        client.associations(),
    );
    let (a, b, c) = tokio::join!(
        first.labels("leads", "companies"),
        second.labels("leads", "companies"),
        third.type_for_label("leads", "companies", "primary"),
    );
    mock.assert_calls_async(1).await;
    assert_eq!(fields(&a.unwrap()), fields(&b.unwrap()));
    assert_eq!(c.unwrap(), AssociationType::hubspot(580));
}

#[tokio::test]
async fn separate_clients_do_not_share_labels() {
    // Custom labels differ per account: two clients may hold tokens of two accounts.
    let server = MockServer::start_async().await;
    let mock = labels_mock(&server).await;
    client(&server)
        .associations()
        .labels("leads", "companies")
        .await
        .unwrap();
    client(&server)
        .associations()
        .labels("leads", "companies")
        .await
        .unwrap();
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn each_pair_is_cached_on_its_own_and_refresh_asks_again() {
    let server = MockServer::start_async().await;
    let companies = labels_mock(&server).await;
    let contacts = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .from_object_type("leads")
                .to_object_type("contacts");
            // Raw: a null label.
            ListThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({"results": [
                    {"category": "HUBSPOT_DEFINED", "typeId": 578, "label": "Primary"},
                    {"category": "HUBSPOT_DEFINED", "typeId": 608, "label": null}
                ]}));
        })
        .await;
    let associations = client(&server).associations();
    associations.labels("leads", "companies").await.unwrap();
    let contact_labels = associations.labels("leads", "contacts").await.unwrap();
    associations.labels("leads", "contacts").await.unwrap();
    assert_eq!(contact_labels.len(), 2);
    companies.assert_calls_async(1).await;
    contacts.assert_calls_async(1).await;

    associations
        .refresh_labels("leads", "companies")
        .await
        .unwrap();
    associations.labels("leads", "companies").await.unwrap();
    companies.assert_calls_async(2).await;
    contacts.assert_calls_async(1).await;
}

#[tokio::test]
async fn type_for_label_ignores_case_and_names_the_known_labels() {
    let server = MockServer::start_async().await;
    let mock = labels_mock(&server).await;
    let associations = client(&server).associations();
    assert_eq!(
        associations
            .type_for_label("leads", "companies", "DECISION MAKER'S COMPANY")
            .await
            .unwrap(),
        user_defined(37)
    );
    assert_eq!(
        associations
            .type_for_label("leads", "companies", "Primary")
            .await
            .unwrap(),
        AssociationType::hubspot(580)
    );
    let e = expect_validation(
        associations
            .type_for_label("leads", "companies", "Champion")
            .await,
    );
    assert_eq!(e.field, "label");
    assert_eq!(
        e.reason,
        "`Champion` is not an association label from leads to companies; labels are \
         `Primary`, `Decision maker's company`, `Billing`, `Reseller`"
    );
    let e = expect_validation(
        associations
            .type_for_label("leads", "companies", "  ")
            .await,
    );
    assert_eq!(e.field, "label");
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_failed_lookup_is_not_cached() {
    let server = MockServer::start_async().await;
    let failing = server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .from_object_type("leads")
                .to_object_type("companies");
            ListThen::new(then).client_error(
                403,
                json!({
                    "status": "error",
                    "message": "This app hasn't been granted all required scopes to make this call.",
                    "correlationId": "0b6a3c4e-1111-4e8e-9d55-3f0c2f9f1c11",
                    "errors": [{"message": "One or more of the following scopes are required.",
                                "context": {"requiredGranularScopes": ["crm.schemas.leads.read"]}}],
                    "category": "MISSING_SCOPES"
                }),
            );
        })
        .await;
    let associations = client(&server).associations();
    let err = associations.labels("leads", "companies").await.unwrap_err();
    assert_eq!(
        err.api_error().unwrap().category.as_deref(),
        Some("MISSING_SCOPES")
    );
    failing.assert_calls_async(1).await;
    failing.delete_async().await;

    let working = labels_mock(&server).await;
    let labels = associations.labels("leads", "companies").await.unwrap();
    assert_eq!(labels.len(), 5);
    working.assert_calls_async(1).await;
}

#[tokio::test]
async fn associate_lead_by_label_looks_up_once_then_puts_the_type() {
    let server = MockServer::start_async().await;
    let labels = labels_mock(&server).await;
    let put = server
        .mock_async(|when, then| {
            CreateWhen::new(when)
                .object_type("leads")
                .object_id("901")
                .to_object_type("companies")
                .to_object_id("5791")
                .body(&vec![AssociationSpec {
                    association_category: "USER_DEFINED".to_owned(),
                    association_type_id: 37,
                }]);
            // Raw: numeric ids, as HubSpot sends them.
            CreateThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({
                    "fromObjectTypeId": "0-136", "fromObjectId": 901,
                    "toObjectTypeId": "0-2", "toObjectId": 5791,
                    "labels": ["Decision maker's company"]
                }));
        })
        .await;
    let associations = client(&server).associations();
    for _ in 0..2 {
        let link = associations
            .associate_lead_by_label("901", "companies", "5791", "decision maker's company")
            .await
            .unwrap();
        assert_eq!(link.labels, ["Decision maker's company"]);
    }
    labels.assert_calls_async(1).await;
    put.assert_calls_async(2).await;
}

#[tokio::test]
async fn associate_lead_by_label_checks_ids_and_labels_before_writing() {
    let server = MockServer::start_async().await;
    let labels = labels_mock(&server).await;
    let anything_else = server
        .mock_async(|when, then| {
            when.method(PUT);
            then.status(500);
        })
        .await;
    let associations = client(&server).associations();

    // A bad id is caught before even the label lookup.
    let e = expect_validation(
        associations
            .associate_lead_by_label("901", "companies", "not-an-id", "Billing")
            .await,
    );
    assert_eq!(e.field, "toObjectId");
    labels.assert_calls_async(0).await;

    let e = expect_validation(
        associations
            .associate_lead_by_label("901", "companies", "5791", "Champion")
            .await,
    );
    assert_eq!(e.field, "label");
    assert!(e.reason.contains("`Billing`"), "{e}");
    labels.assert_calls_async(1).await;
    anything_else.assert_calls_async(0).await;
}

#[tokio::test]
async fn label_lookups_check_object_types_before_sending() {
    let server = MockServer::start_async().await;
    let nothing = catch_all(&server).await;
    let associations = client(&server).associations();
    let e = expect_validation(associations.labels("", "companies").await);
    assert_eq!(e.field, "fromObjectType");
    let e = expect_validation(associations.refresh_labels("leads", "com panies").await);
    assert_eq!(e.field, "toObjectType");
    let e = expect_validation(associations.type_for_label("leads", "/", "Billing").await);
    assert_eq!(e.field, "toObjectType");
    nothing.assert_calls_async(0).await;
}
