//! Property definitions through `client.properties()`: parsing HubSpot's answers, the
//! per-client cache, and checking values to write against the account's definitions.

use std::collections::BTreeMap;

use crate::support::{TOKEN, catch_all, client, expect_validation};
use httpmock::prelude::*;
use hubspot_crm::api::properties::types::Property;
use hubspot_crm::{
    LeadAssociation, NewRecord, PropertyDefinition, PropertyDefinitions, PropertyOption,
    RecordUpdate,
};
use hubspot_crm_mock::properties::operations::{GetThen, GetWhen, ListThen, ListWhen};
use serde_json::json;

/// An option's label, value, hidden flag, display order and description.
fn option_fields(option: &PropertyOption) -> (Option<&str>, &str, bool, Option<i32>, Option<&str>) {
    (
        option.label.as_deref(),
        option.value.as_str(),
        option.hidden,
        option.display_order,
        option.description.as_deref(),
    )
}

/// The object type and every definition, as JSON, to compare two sets of definitions.
fn definitions_json(definitions: &PropertyDefinitions) -> (&str, Vec<serde_json::Value>) {
    (
        definitions.object_type(),
        definitions
            .iter()
            .map(|d| serde_json::to_value(&**d).unwrap())
            .collect(),
    )
}

/// The `tier` enumeration (one option, `gold`) of a definition built offline.
fn tier_definition() -> PropertyDefinition {
    let gold: PropertyOption = PropertyOption::builder()
        .label(Some("Gold".to_owned()))
        .value("gold")
        .hidden(false)
        .display_order(None)
        .try_into()
        .unwrap();
    let tier: Property = Property::builder()
        .name("tier")
        .label(Some("Tier".to_owned()))
        .type_("enumeration")
        .field_type("select")
        .group_name("g")
        .description(Some(String::new()))
        .options(vec![gold])
        .external_options(false)
        .hidden(false)
        .calculated(false)
        .has_unique_value(false)
        .hubspot_defined(false)
        .modification_metadata(None)
        .try_into()
        .unwrap();
    PropertyDefinition::from(tier)
}

fn metadata(read_only_value: bool) -> serde_json::Value {
    json!({"archivable": false, "readOnlyDefinition": true, "readOnlyValue": read_only_value})
}

/// What HubSpot answers for `GET /crm/v3/properties/leads` in a typical account (trimmed to
/// the properties the tests use). Answered raw: the typed answer would add every defaulted
/// field (`archived`, `formField`, `showCurrencySymbol`, ...) HubSpot left out here.
fn lead_properties() -> serde_json::Value {
    json!({"results": [
        {
            "updatedAt": "2025-02-11T16:41:29.387Z",
            "createdAt": "2024-03-05T10:12:44.010Z",
            "name": "hs_lead_name",
            "label": "Lead name",
            "type": "string",
            "fieldType": "text",
            "description": "The name of the lead",
            "groupName": "lead_information",
            "options": [],
            "displayOrder": -1,
            "calculated": false,
            "externalOptions": false,
            "hasUniqueValue": false,
            "hidden": false,
            "hubspotDefined": true,
            "modificationMetadata": metadata(false),
            "formField": false,
            "dataSensitivity": "non_sensitive"
        },
        {
            "name": "hs_lead_label",
            "label": "Lead label",
            "type": "enumeration",
            "fieldType": "select",
            "description": "",
            "groupName": "lead_information",
            "options": [
                {"label": "Cold", "value": "COLD", "displayOrder": 0, "hidden": false},
                {"label": "Warm", "value": "WARM", "displayOrder": 1, "hidden": false},
                {"label": "Hot", "value": "HOT", "displayOrder": 2, "hidden": false},
                {"label": "Legacy", "value": "LEGACY", "displayOrder": 3, "hidden": true}
            ],
            "calculated": false,
            "externalOptions": false,
            "hasUniqueValue": false,
            "hidden": false,
            "hubspotDefined": true,
            "modificationMetadata": {"archivable": false, "readOnlyDefinition": false, "readOnlyOptions": false, "readOnlyValue": false}
        },
        {
            "name": "hs_lead_type",
            "label": "Lead type",
            "type": "enumeration",
            "fieldType": "radio",
            "description": "",
            "groupName": "lead_information",
            "options": [
                {"label": "New business", "value": "NEW BUSINESS", "displayOrder": 0, "hidden": false},
                {"label": "Existing business", "value": "EXISTING BUSINESS", "displayOrder": 1, "hidden": false}
            ],
            "calculated": false,
            "externalOptions": false,
            "hasUniqueValue": false,
            "hidden": false,
            "hubspotDefined": true,
            "modificationMetadata": metadata(false)
        },
        {
            "name": "interests",
            "label": "Interests",
            "type": "enumeration",
            "fieldType": "checkbox",
            "description": "Products the lead asked about",
            "groupName": "lead_information",
            "options": [
                {"label": "Analytics", "value": "analytics", "displayOrder": 0, "hidden": false},
                {"label": "CRM", "value": "crm", "displayOrder": 1, "hidden": false},
                {"label": "Billing", "value": "billing", "displayOrder": 2, "hidden": false}
            ],
            "calculated": false,
            "externalOptions": false,
            "hasUniqueValue": false,
            "hidden": false,
            "hubspotDefined": false,
            "createdUserId": "4410021",
            "modificationMetadata": {"archivable": true, "readOnlyDefinition": false, "readOnlyValue": false}
        },
        {
            "name": "hubspot_owner_id",
            "label": "Lead owner",
            "type": "enumeration",
            "fieldType": "select",
            "description": "",
            "groupName": "lead_information",
            "options": [],
            "referencedObjectType": "OWNER",
            "calculated": false,
            "externalOptions": true,
            "hasUniqueValue": false,
            "hidden": false,
            "hubspotDefined": true,
            "modificationMetadata": metadata(false)
        },
        {
            "name": "hs_createdate",
            "label": "Create date",
            "type": "datetime",
            "fieldType": "date",
            "description": "",
            "groupName": "lead_information",
            "options": [],
            "calculated": false,
            "externalOptions": false,
            "hasUniqueValue": false,
            "hidden": false,
            "hubspotDefined": true,
            "modificationMetadata": metadata(true)
        },
        {
            "name": "hs_object_id",
            "label": "Record ID",
            "type": "number",
            "fieldType": "number",
            "description": "",
            "groupName": "lead_information",
            "options": [],
            "calculated": false,
            "externalOptions": false,
            "hasUniqueValue": true,
            "hidden": true,
            "hubspotDefined": true,
            "modificationMetadata": metadata(true)
        },
        {
            "name": "hs_days_open",
            "label": "Days open",
            "type": "number",
            "fieldType": "calculation_equation",
            "description": "",
            "groupName": "lead_information",
            "options": [],
            "calculated": true,
            "calculationFormula": "(now - hs_createdate) / 86400000",
            "externalOptions": false,
            "hasUniqueValue": false,
            "hidden": false,
            "hubspotDefined": false,
            "modificationMetadata": metadata(false)
        }
    ]})
}

async fn list_mock(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            ListWhen::new(when)
                .object_type("leads")
                .into_inner()
                .header("authorization", format!("Bearer {TOKEN}"))
                .query_param_count(".*", ".*", 0);
            ListThen::new(then)
                .into_inner()
                .status(200)
                .json_body(lead_properties());
        })
        .await
}

#[tokio::test]
async fn list_types_every_field_of_a_definition() {
    let server = MockServer::start_async().await;
    let mock = list_mock(&server).await;
    let list = client(&server).properties().list("leads").await.unwrap();
    mock.assert_async().await;
    let names: Vec<&str> = list.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "hs_lead_name",
            "hs_lead_label",
            "hs_lead_type",
            "interests",
            "hubspot_owner_id",
            "hs_createdate",
            "hs_object_id",
            "hs_days_open"
        ]
    );
    let label = list.iter().find(|d| d.name == "hs_lead_label").unwrap();
    assert_eq!(label.name, "hs_lead_label");
    assert_eq!(label.label.as_deref(), Some("Lead label"));
    assert_eq!(label.type_, "enumeration");
    assert_eq!(label.field_type, "select");
    assert_eq!(label.group_name, "lead_information");
    assert_eq!(label.description.as_deref(), Some(""));
    assert_eq!(
        label.options.iter().map(option_fields).collect::<Vec<_>>(),
        [
            (Some("Cold"), "COLD", false, Some(0), None),
            (Some("Warm"), "WARM", false, Some(1), None),
            (Some("Hot"), "HOT", false, Some(2), None),
            (Some("Legacy"), "LEGACY", true, Some(3), None),
        ]
    );
    assert!(!label.external_options);
    assert!(!label.hidden);
    assert!(!label.calculated);
    assert!(!label.has_unique_value);
    assert!(label.hubspot_defined);
    assert!(!label.read_only());
    let by_name = |name: &str| list.iter().find(|d| d.name == name).unwrap();
    assert!(by_name("hs_createdate").read_only());
    assert!(!by_name("hs_createdate").calculated);
    let days_open = by_name("hs_days_open");
    assert!(days_open.calculated && days_open.read_only());
    let object_id = by_name("hs_object_id");
    assert!(object_id.has_unique_value && object_id.hidden && object_id.read_only());
    assert!(by_name("hubspot_owner_id").external_options);
    assert!(by_name("interests").is_multi_select());
    assert!(!by_name("hs_lead_type").is_multi_select());
    assert_eq!(
        by_name("hs_lead_name").description.as_deref(),
        Some("The name of the lead")
    );
}

#[tokio::test]
async fn get_reads_one_definition_and_a_missing_one_is_a_404() {
    let server = MockServer::start_async().await;
    let found = server
        .mock_async(|when, then| {
            GetWhen::new(when)
                .object_type("leads")
                .property_name("hs_lead_type");
            GetThen::new(then)
                .into_inner()
                .status(200)
                .json_body(lead_properties()["results"][2].clone());
        })
        .await;
    let missing = server
        .mock_async(|when, then| {
            GetWhen::new(when)
                .object_type("leads")
                .property_name("no_such_property");
            GetThen::new(then).client_error(
                404,
                json!({
                    "status": "error",
                    "message": "Unable to find property no_such_property for object type 0-136",
                    "correlationId": "3c1d8f9e-5d0a-4a0e-9e58-2f0d2f7b3a77",
                    "category": "OBJECT_NOT_FOUND"
                }),
            );
        })
        .await;
    let properties = client(&server).properties();
    let lead_type = properties.get("leads", "hs_lead_type").await.unwrap();
    assert_eq!(lead_type.field_type, "radio");
    assert_eq!(lead_type.options[1].value, "EXISTING BUSINESS");
    let err = properties
        .get("leads", "no_such_property")
        .await
        .unwrap_err();
    let api = err.api_error().expect("an API error");
    assert!(api.is_not_found());
    assert_eq!(
        api.message.as_deref(),
        Some("Unable to find property no_such_property for object type 0-136")
    );
    found.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_definition_without_optional_fields_still_parses() {
    // The spec requires `description` and every `modificationMetadata` flag; HubSpot and
    // proxies do not always send them.
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            ListWhen::new(when).object_type("leads");
            // Raw: fields the spec requires are missing, on purpose.
            ListThen::new(then)
                .into_inner()
                .status(200)
                .json_body(json!({"results": [
                    {
                        "name": "custom_score",
                        "label": "Score",
                        "type": "number",
                        "fieldType": "number",
                        "groupName": "lead_information",
                        "options": [],
                        "modificationMetadata": {"readOnlyValue": true}
                    },
                    {
                        "name": "custom_tier",
                        "label": "Tier",
                        "type": "enumeration",
                        "fieldType": "select",
                        "groupName": "lead_information",
                        "options": [{"label": "Gold", "value": "gold"}]
                    }
                ]}));
        })
        .await;
    let list = client(&server).properties().list("leads").await.unwrap();
    mock.assert_async().await;
    assert_eq!(list[0].name, "custom_score");
    assert!(list[0].read_only());
    // An omitted description reads as none.
    assert_eq!(list[0].description, None);
    assert_eq!(list[1].options[0].value, "gold");
    assert!(!list[1].options[0].hidden);
    assert_eq!(list[1].options[0].display_order, None);
}

#[tokio::test]
async fn definitions_are_read_once_per_client_and_shared_by_clones() {
    let server = MockServer::start_async().await;
    let mock = list_mock(&server).await;
    let client = client(&server);
    let first = client.properties().definitions("leads").await.unwrap();
    let second = client
        .clone()
        .properties()
        .definitions("leads")
        .await
        .unwrap();
    client
        .properties()
        .validate_values(
            "leads",
            &BTreeMap::from([("hs_lead_label".to_owned(), "HOT".to_owned())]),
        )
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    assert_eq!(definitions_json(&first), definitions_json(&second));
    assert_eq!(first.object_type(), "leads");
    assert_eq!(first.len(), 8);
    assert!(first.get("hs_lead_type").is_some());
    assert!(first.get("nope").is_none());
}

#[tokio::test]
async fn refresh_and_list_read_again_and_update_the_cache() {
    let server = MockServer::start_async().await;
    let before = list_mock(&server).await;
    let properties = client(&server).properties();
    properties.definitions("leads").await.unwrap();
    before.assert_calls_async(1).await;
    before.delete_async().await;

    // An option was added in HubSpot since.
    let mut changed = lead_properties();
    changed["results"][1]["options"]
        .as_array_mut()
        .unwrap()
        .push(json!({"label": "Frozen", "value": "FROZEN", "displayOrder": 4, "hidden": false}));
    let after = server
        .mock_async(|when, then| {
            ListWhen::new(when).object_type("leads");
            ListThen::new(then)
                .into_inner()
                .status(200)
                .json_body(changed);
        })
        .await;
    let frozen = BTreeMap::from([("hs_lead_label".to_owned(), "FROZEN".to_owned())]);
    let e = expect_validation(properties.validate_values("leads", &frozen).await);
    assert_eq!(e.field, "hs_lead_label");
    after.assert_calls_async(0).await;

    let refreshed = properties.refresh("leads").await.unwrap();
    assert_eq!(refreshed.get("hs_lead_label").unwrap().options.len(), 5);
    properties.validate_values("leads", &frozen).await.unwrap();
    after.assert_calls_async(1).await;

    properties.list("leads").await.unwrap();
    properties.definitions("leads").await.unwrap();
    after.assert_calls_async(2).await;
}

#[tokio::test]
async fn values_are_checked_against_the_definitions() {
    let server = MockServer::start_async().await;
    let mock = list_mock(&server).await;
    let writes = server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(500);
        })
        .await;
    let properties = client(&server).properties();
    let check = |pairs: &[(&str, &str)]| {
        let values: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let properties = properties.clone();
        async move { properties.validate_values("leads", &values).await }
    };

    check(&[
        ("hs_lead_name", "Acme renewal"),
        ("hs_lead_label", "WARM"),
        ("hs_lead_type", "NEW BUSINESS"),
        ("interests", "analytics;crm"),
        ("hubspot_owner_id", "9001"),
    ])
    .await
    .unwrap();
    // A hidden option is still a value; an empty value clears.
    check(&[("hs_lead_label", "LEGACY"), ("hs_lead_type", "")])
        .await
        .unwrap();

    let e = expect_validation(check(&[("hs_lead_nmae", "Acme")]).await);
    assert_eq!(e.field, "hs_lead_nmae");
    assert_eq!(e.reason, "is not a property of leads");

    let e = expect_validation(check(&[("hs_createdate", "2026-01-01")]).await);
    assert_eq!(e.field, "hs_createdate");
    assert_eq!(e.reason, "is read-only and cannot be written");

    let e = expect_validation(check(&[("hs_days_open", "3")]).await);
    assert_eq!(e.field, "hs_days_open");
    assert!(e.reason.contains("calculated"), "{e}");

    let e = expect_validation(check(&[("hs_lead_label", "Lukewarm")]).await);
    assert_eq!(e.field, "hs_lead_label");
    assert_eq!(
        e.reason,
        "`Lukewarm` is not an option; allowed values: `COLD`, `WARM`, `HOT`, `LEGACY`"
    );

    // Values are case-sensitive; a label given for a value gets a hint.
    let e = expect_validation(check(&[("hs_lead_label", "Warm")]).await);
    assert_eq!(
        e.reason,
        "`Warm` is not an option (`Warm` is the label of `WARM`); allowed values: `COLD`, `WARM`, `HOT`, `LEGACY`"
    );

    let e = expect_validation(check(&[("interests", "analytics;support")]).await);
    assert_eq!(e.field, "interests");
    assert!(
        e.reason
            .starts_with("`support` is not an option; allowed values: `analytics`, `crm`"),
        "{e}"
    );

    // A single-select value is not split on `;`.
    let e = expect_validation(check(&[("hs_lead_type", "NEW BUSINESS;EXISTING BUSINESS")]).await);
    assert_eq!(e.field, "hs_lead_type");

    mock.assert_calls_async(1).await;
    writes.assert_calls_async(0).await;
}

#[tokio::test]
async fn new_records_and_updates_can_be_checked() {
    let server = MockServer::start_async().await;
    let mock = list_mock(&server).await;
    let properties = client(&server).properties();
    let mut lead = LeadAssociation::PrimaryContact.add_to(
        NewRecord::new()
            .property("hs_lead_name", "Acme")
            .property("hs_lead_type", "NEW BUSINESS"),
        "51",
    );
    properties.check_new_record("leads", &lead).await.unwrap();
    lead.properties
        .insert("hs_lead_type".to_owned(), "RENEWAL".to_owned());
    let e = expect_validation(properties.check_new_record("leads", &lead).await);
    assert_eq!(e.field, "hs_lead_type");
    assert!(
        e.reason.contains("`NEW BUSINESS`, `EXISTING BUSINESS`"),
        "{e}"
    );

    let update = RecordUpdate::new("901").property("hs_object_id", "902");
    let e = expect_validation(properties.check_update("leads", &update).await);
    assert_eq!(e.field, "hs_object_id");
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn arguments_are_checked_before_sending() {
    let server = MockServer::start_async().await;
    let nothing = catch_all(&server).await;
    let properties = client(&server).properties();
    let e = expect_validation(properties.list(" ").await);
    assert_eq!(e.field, "objectType");
    let e = expect_validation(properties.definitions("leads/x").await);
    assert_eq!(e.field, "objectType");
    let e = expect_validation(properties.get("leads", "").await);
    assert_eq!(e.field, "propertyName");
    let e = expect_validation(properties.validate_values("", &BTreeMap::new()).await);
    assert_eq!(e.field, "objectType");
    nothing.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_failed_read_is_not_cached() {
    let server = MockServer::start_async().await;
    let failing = server
        .mock_async(|when, then| {
            ListWhen::new(when).object_type("leads");
            ListThen::new(then)
                .into_inner()
                .status(502)
                .header("content-type", "text/html")
                .body("<html><body>502 Bad Gateway</body></html>");
        })
        .await;
    let properties = client(&server).properties();
    let err = properties.definitions("leads").await.unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert!(
        err.api_error()
            .unwrap()
            .raw_body
            .as_deref()
            .unwrap()
            .contains("Bad Gateway")
    );
    failing.assert_calls_async(1).await;
    failing.delete_async().await;
    let working = list_mock(&server).await;
    assert_eq!(properties.definitions("leads").await.unwrap().len(), 8);
    working.assert_calls_async(1).await;
}

#[test]
fn definitions_built_offline_check_values_too() {
    let tier = tier_definition();
    assert_eq!(tier.name, "tier");
    assert!(tier.has_fixed_options() && !tier.is_multi_select() && !tier.read_only());
    let definitions = PropertyDefinitions::new("companies", [tier]);
    let ok = BTreeMap::from([("tier".to_owned(), "gold".to_owned())]);
    assert!(definitions.check_values(&ok).is_ok());
    let bad = BTreeMap::from([("tier".to_owned(), "silver".to_owned())]);
    let e = definitions.check_values(&bad).unwrap_err().at_item(7);
    assert_eq!(
        e.to_string(),
        "invalid input: item 7: tier: `silver` is not an option; allowed values: `gold`"
    );
}
