//! Property and property-group writes and `ensure` through `client.properties()`, on both API
//! versions: the exact paths and bodies sent, HubSpot's answers read back, the cached
//! definitions read again after a write, and bad input refused with nothing sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use httpmock::prelude::*;
use hubspot_crm::{
    ApiVersion, Client, Ensured, Error, NewProperty, PropertyCreate, PropertyDifference,
    PropertyGroupCreate, PropertyGroupUpdate, PropertyUpdate,
};
use serde_json::{Value, json};

use crate::support::{catch_all, client_with, expect_validation, json_response};

/// A client like `support::client` (no retries, no limiter) speaking `version`.
fn client_on(server: &MockServer, version: ApiVersion) -> Client {
    client_with(server, |b| b.api_version(version))
}

/// The properties path prefix of `version`.
fn prefix(version: ApiVersion) -> &'static str {
    match version {
        ApiVersion::V3 => "/crm/v3/properties",
        ApiVersion::V2026_09 => "/crm/properties/2026-09",
        other => panic!("no properties paths for {other} yet"),
    }
}

/// A property as HubSpot answers a create or a read of it.
fn property_json(name: &str, type_: &str, field_type: &str, unique: bool, options: Value) -> Value {
    json!({
        "name": name,
        "label": "External ID",
        "type": type_,
        "fieldType": field_type,
        "description": "",
        "groupName": "dealinformation",
        "options": options,
        "displayOrder": -1,
        "calculated": false,
        "externalOptions": false,
        "hasUniqueValue": unique,
        "hidden": false,
        "hubspotDefined": false,
        "formField": true,
        "archived": false,
        "createdAt": "2026-11-26T10:00:00.000Z",
        "updatedAt": "2026-11-26T10:00:00.000Z",
        "createdUserId": "4410021",
        "updatedUserId": "4410021",
        "modificationMetadata": {
            "archivable": true,
            "readOnlyDefinition": false,
            "readOnlyValue": false
        },
        "dataSensitivity": "non_sensitive"
    })
}

fn external_id_json() -> Value {
    property_json("external_id", "string", "text", true, json!([]))
}

fn external_id() -> PropertyCreate {
    NewProperty::string("external_id", "External ID")
        .unique()
        .in_group("dealinformation")
}

/// The body a create of [`external_id`] sends (the same on both versions).
fn external_id_body() -> Value {
    json!({
        "name": "external_id",
        "label": "External ID",
        "type": "string",
        "fieldType": "text",
        "groupName": "dealinformation",
        "hasUniqueValue": true
    })
}

fn tier() -> PropertyCreate {
    NewProperty::select("tier", "Tier", [("gold", "Gold"), ("silver", "Silver")])
        .in_group("dealinformation")
}

fn tier_json(values: &[&str]) -> Value {
    let options: Vec<Value> = values
        .iter()
        .zip(0..)
        .map(|(v, i)| json!({"label": v.to_uppercase(), "value": v, "displayOrder": i, "hidden": false}))
        .collect();
    property_json("tier", "enumeration", "select", false, json!(options))
}

fn not_found(name: &str) -> Value {
    json!({
        "status": "error",
        "message": format!("Unable to find property {name} for object type deals"),
        "correlationId": "3b5f5f9e-6a2d-4c1b-9d0e-8e2f1a7c4d11",
        "category": "OBJECT_NOT_FOUND"
    })
}

/// HubSpot's answer to a list of the deals' properties, with `external_id` when `with_it`.
fn deal_properties(with_it: bool) -> Value {
    let mut results = vec![property_json(
        "dealname",
        "string",
        "text",
        false,
        json!([]),
    )];
    if with_it {
        results.push(external_id_json());
    }
    json!({"results": results})
}

#[tokio::test]
async fn create_sends_the_property_and_the_next_definitions_read_them_again() {
    for &version in ApiVersion::ALL {
        let server = MockServer::start_async().await;
        let path = format!("{}/deals", prefix(version));
        let list = server
            .mock_async(|when, then| {
                when.method(GET).path(path.clone());
                then.status(200).json_body(deal_properties(false));
            })
            .await;
        let create = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path(path.clone())
                    .header("content-type", "application/json")
                    .json_body(external_id_body());
                then.status(201).json_body(external_id_json());
            })
            .await;
        let properties = client_on(&server, version).properties();
        assert!(
            properties
                .definitions("deals")
                .await
                .unwrap()
                .get("external_id")
                .is_none()
        );

        let created = properties.create("deals", external_id()).await.unwrap();

        assert_eq!(created.name, "external_id");
        assert!(created.has_unique_value);
        create.assert_calls_async(1).await;
        list.delete_async().await;
        let list = server
            .mock_async(|when, then| {
                when.method(GET).path(path.clone());
                then.status(200).json_body(deal_properties(true));
            })
            .await;
        let definitions = properties.definitions("deals").await.unwrap();
        assert!(
            definitions.get("external_id").unwrap().has_unique_value,
            "{version}"
        );
        list.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn a_2026_09_create_gives_each_option_its_place_and_refuses_v3_display_hints() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/crm/properties/2026-09/deals")
                .json_body(json!({
                    "name": "tier",
                    "label": "Tier",
                    "type": "enumeration",
                    "fieldType": "radio",
                    "groupName": "dealinformation",
                    "options": [
                        {"label": "Gold", "value": "gold", "hidden": false, "displayOrder": 0},
                        {"label": "Silver", "value": "silver", "hidden": false, "displayOrder": 1}
                    ]
                }));
            then.status(201).json_body(tier_json(&["gold", "silver"]));
        })
        .await;
    let properties = client_on(&server, ApiVersion::V2026_09).properties();
    let mut radio = tier();
    radio.field_type = hubspot_crm::PropertyCreateFieldType::Radio;
    for option in &mut radio.options {
        option.display_order = None;
    }
    properties.create("deals", radio).await.unwrap();
    create.assert_calls_async(1).await;

    let mut hinted = external_id();
    hinted.text_display_hint =
        Some(hubspot_crm::api::properties::types::PropertyCreateTextDisplayHint::Email);
    let e = expect_validation(properties.create("deals", hinted.clone()).await);
    assert_eq!(e.field, "textDisplayHint");
    assert!(e.reason.contains("2026-09"), "{}", e.reason);
    create.assert_calls_async(1).await;
    // v3 sends it.
    let v3 = MockServer::start_async().await;
    let mut body = external_id_body();
    body["textDisplayHint"] = json!("email");
    let v3_create = v3
        .mock_async(|when, then| {
            when.method(POST)
                .path("/crm/v3/properties/deals")
                .json_body(body);
            then.status(201).json_body(external_id_json());
        })
        .await;
    client_on(&v3, ApiVersion::V3)
        .properties()
        .create("deals", hinted)
        .await
        .unwrap();
    v3_create.assert_calls_async(1).await;
}

#[tokio::test]
async fn update_and_archive_address_the_property_by_name() {
    for &version in ApiVersion::ALL {
        let server = MockServer::start_async().await;
        let path = format!("{}/deals/tier", prefix(version));
        let update = server
            .mock_async(|when, then| {
                when.method(PATCH).path(path.clone()).json_body(json!({
                    "label": "Support tier",
                    "options": [
                        {"label": "Gold", "value": "gold", "hidden": false, "displayOrder": 0},
                        {"label": "Bronze", "value": "bronze", "hidden": true, "displayOrder": 5}
                    ]
                }));
                then.status(200).json_body(tier_json(&["gold", "bronze"]));
            })
            .await;
        let archive = server
            .mock_async(|when, then| {
                when.method(DELETE).path(path.clone());
                then.status(204);
            })
            .await;
        let properties = client_on(&server, version).properties();
        let mut options = tier().options;
        options[1] = hubspot_crm::PropertyOptionInput {
            description: None,
            display_order: Some(5),
            hidden: true,
            label: "Bronze".into(),
            value: "bronze".into(),
        };
        let changed = properties
            .update(
                "deals",
                "tier",
                PropertyUpdate {
                    label: Some("Support tier".into()),
                    options,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let values: Vec<&str> = changed.options.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(values, ["gold", "bronze"]);
        properties.archive("deals", "tier").await.unwrap();
        update.assert_calls_async(1).await;
        archive.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn create_many_reports_what_was_created_and_what_was_refused() {
    for &version in ApiVersion::ALL {
        let server = MockServer::start_async().await;
        // v3 answers a partial failure 207; the 2026-09 spec lists only 200.
        let status = match version {
            ApiVersion::V3 => 207,
            _ => 200,
        };
        let batch = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path(format!("{}/deals/batch/create", prefix(version)))
                    .json_body(json!({"inputs": [
                        external_id_body(),
                        {
                            "name": "tier", "label": "Tier", "type": "enumeration",
                            "fieldType": "select", "groupName": "dealinformation",
                            "options": [
                                {"label": "Gold", "value": "gold", "hidden": false, "displayOrder": 0},
                                {"label": "Silver", "value": "silver", "hidden": false, "displayOrder": 1}
                            ]
                        }
                    ]}));
                then.status(status).json_body(json!({
                    "status": "COMPLETE",
                    "results": [external_id_json()],
                    "numErrors": 1,
                    "errors": [{
                        "status": "error",
                        "category": "VALIDATION_ERROR",
                        "message": "Property group dealinformation does not exist",
                        "context": {"propertyName": ["tier"]}
                    }],
                    "startedAt": "2026-11-26T10:00:00.000Z",
                    "completedAt": "2026-11-26T10:00:00.120Z"
                }));
            })
            .await;
        let properties = client_on(&server, version).properties();

        let answer = properties
            .create_many("deals", vec![external_id(), tier()])
            .await
            .unwrap();

        batch.assert_calls_async(1).await;
        let created: Vec<&str> = answer.created.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(created, ["external_id"]);
        assert_eq!(answer.not_created, ["tier"]);
        assert!(!answer.is_complete());
        assert_eq!(answer.errors.len(), 1);
        assert_eq!(answer.errors[0].status, status);
        assert_eq!(
            answer.errors[0].category.as_deref(),
            Some("VALIDATION_ERROR")
        );
        assert_eq!(answer.errors[0].context["propertyName"], ["tier"]);
    }
}

#[tokio::test]
async fn groups_are_listed_read_created_changed_and_archived_by_name() {
    for &version in ApiVersion::ALL {
        let server = MockServer::start_async().await;
        let groups = format!("{}/deals/groups", prefix(version));
        let billing =
            json!({"name": "billing", "label": "Billing", "displayOrder": 3, "archived": false});
        let list = server
            .mock_async(|when, then| {
                when.method(GET).path(groups.clone());
                then.status(200).json_body(json!({"results": [
                    {"name": "dealinformation", "label": "Deal information", "displayOrder": 0, "archived": false},
                    billing.clone()
                ]}));
            })
            .await;
        let get = server
            .mock_async(|when, then| {
                when.method(GET).path(format!("{groups}/billing"));
                then.status(200).json_body(billing.clone());
            })
            .await;
        let create = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path(groups.clone())
                    .json_body(json!({"name": "billing", "label": "Billing", "displayOrder": 3}));
                then.status(201).json_body(billing.clone());
            })
            .await;
        let update = server
            .mock_async(|when, then| {
                when.method(PATCH)
                    .path(format!("{groups}/billing"))
                    .json_body(json!({"label": "Billing details"}));
                then.status(200).json_body(
                    json!({"name": "billing", "label": "Billing details", "displayOrder": 3, "archived": false}),
                );
            })
            .await;
        let archive = server
            .mock_async(|when, then| {
                when.method(DELETE).path(format!("{groups}/billing"));
                then.status(204);
            })
            .await;
        let properties = client_on(&server, version).properties();

        let listed = properties.groups("deals").await.unwrap();
        let names: Vec<(&str, Option<i32>)> = listed
            .iter()
            .map(|g| (g.name.as_str(), g.display_order))
            .collect();
        assert_eq!(names, [("dealinformation", Some(0)), ("billing", Some(3))]);
        assert_eq!(
            properties
                .group("deals", "billing")
                .await
                .unwrap()
                .label
                .as_deref(),
            Some("Billing")
        );
        let group = PropertyGroupCreate {
            name: "billing".into(),
            label: "Billing".into(),
            display_order: Some(3),
        };
        assert_eq!(
            properties.create_group("deals", group).await.unwrap().name,
            "billing"
        );
        let relabel = PropertyGroupUpdate {
            label: Some("Billing details".into()),
            display_order: None,
        };
        let changed = properties
            .update_group("deals", "billing", relabel)
            .await
            .unwrap();
        assert_eq!(changed.label.as_deref(), Some("Billing details"));
        properties.archive_group("deals", "billing").await.unwrap();
        for mock in [&list, &get, &create, &update, &archive] {
            mock.assert_calls_async(1).await;
        }
    }
}

#[tokio::test]
async fn ensure_creates_an_absent_property() {
    for &version in ApiVersion::ALL {
        let server = MockServer::start_async().await;
        let read = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(format!("{}/deals/external_id", prefix(version)));
                then.status(404).json_body(not_found("external_id"));
            })
            .await;
        let create = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path(format!("{}/deals", prefix(version)))
                    .json_body(external_id_body());
                then.status(201).json_body(external_id_json());
            })
            .await;
        let properties = client_on(&server, version).properties();

        let ensured = properties.ensure("deals", external_id()).await.unwrap();

        assert!(matches!(&ensured, Ensured::Created(d) if d.name == "external_id"));
        assert!(ensured.was_created());
        read.assert_calls_async(1).await;
        create.assert_calls_async(1).await;
    }
}

/// A create of any property of deals, answered 201.
async fn create_mock(server: &MockServer, version: ApiVersion) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{}/deals", prefix(version)));
            then.status(201).json_body(tier_json(&["gold", "silver"]));
        })
        .await
}

#[tokio::test]
async fn ensure_sends_no_create_when_the_property_matches() {
    for &version in ApiVersion::ALL {
        let server = MockServer::start_async().await;
        // Another label, group and an extra option: none of them matters.
        let mut found = tier_json(&["bronze", "gold", "silver"]);
        found["label"] = json!("Customer tier");
        found["groupName"] = json!("billing");
        let read = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(format!("{}/deals/tier", prefix(version)));
                then.status(200).json_body(found);
            })
            .await;
        let create = create_mock(&server, version).await;
        let properties = client_on(&server, version).properties();

        let ensured = properties.ensure("deals", tier()).await.unwrap();

        assert!(!ensured.was_created());
        assert_eq!(ensured.definition().label.as_deref(), Some("Customer tier"));
        read.assert_calls_async(1).await;
        create.assert_calls_async(0).await;
    }
}

#[tokio::test]
async fn ensure_names_each_difference_of_an_existing_property_and_changes_nothing() {
    for &version in ApiVersion::ALL {
        let server = MockServer::start_async().await;
        let read = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(format!("{}/deals/tier", prefix(version)));
                then.status(200).json_body(property_json(
                    "tier",
                    "string",
                    "textarea",
                    false,
                    json!([{"label": "Gold", "value": "gold", "hidden": false}]),
                ));
            })
            .await;
        let create = create_mock(&server, version).await;
        let properties = client_on(&server, version).properties();
        let mut asked = tier();
        asked.has_unique_value = Some(true);

        let error = properties.ensure("deals", asked).await.unwrap_err();

        let Error::PropertyMismatch {
            object_type,
            property,
            differences,
        } = &error
        else {
            panic!("expected a mismatch, got {error:?}");
        };
        assert_eq!((object_type.as_str(), property.as_str()), ("deals", "tier"));
        assert_eq!(
            differences,
            &[
                PropertyDifference::Type {
                    asked: "enumeration".into(),
                    found: "string".into()
                },
                PropertyDifference::FieldType {
                    asked: "select".into(),
                    found: "textarea".into()
                },
                PropertyDifference::HasUniqueValue {
                    asked: true,
                    found: false
                },
                PropertyDifference::MissingOptions {
                    values: vec!["silver".into()]
                },
            ]
        );
        assert_eq!(
            error.to_string(),
            "property `tier` of deals exists but not as asked: type is `string`, not `enumeration`; \
             fieldType is `textarea`, not `select`; hasUniqueValue is false, not true; options lack `silver`"
        );
        read.assert_calls_async(1).await;
        create.assert_calls_async(0).await;
    }
}

#[tokio::test]
async fn ensure_reads_back_a_property_created_meanwhile_by_someone_else() {
    for &version in ApiVersion::ALL {
        let server = MockServer::start_async().await;
        let reads = Arc::new(AtomicUsize::new(0));
        let counted = reads.clone();
        let read = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(format!("{}/deals/external_id", prefix(version)));
                then.respond_with(move |_: &HttpMockRequest| {
                    // Absent at the first look; there once the create has failed.
                    match counted.fetch_add(1, Ordering::SeqCst) {
                        0 => json_response(404, &not_found("external_id")),
                        _ => json_response(200, &external_id_json()),
                    }
                });
            })
            .await;
        let create = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path(format!("{}/deals", prefix(version)))
                    .json_body(external_id_body());
                then.status(409).json_body(json!({
                    "status": "error",
                    "message": "A property named 'external_id' already exists.",
                    "correlationId": "c7e1a0b2-7f3d-4e55-8a9b-0d2c6e4f1a38",
                    "category": "CONFLICT"
                }));
            })
            .await;
        let properties = client_on(&server, version).properties();

        let ensured = properties.ensure("deals", external_id()).await.unwrap();

        assert!(matches!(&ensured, Ensured::AlreadyExisted(d) if d.has_unique_value));
        create.assert_calls_async(1).await;
        read.assert_calls_async(2).await;
    }
}

#[tokio::test]
async fn bad_property_inputs_are_refused_before_anything_is_sent() {
    for &version in ApiVersion::ALL {
        let server = MockServer::start_async().await;
        let anything = catch_all(&server).await;
        let properties = client_on(&server, version).properties();
        let mut upper = external_id();
        upper.name = "External_Id".into();
        let mut no_options = tier();
        no_options.options.clear();
        let mut mismatched = external_id();
        mismatched.type_ = hubspot_crm::PropertyCreateType::Number;
        let cases: Vec<(hubspot_crm::Result<()>, Option<usize>, &str)> = vec![
            (
                properties.create("deals", upper.clone()).await.map(drop),
                None,
                "name",
            ),
            (
                properties.ensure("deals", upper).await.map(drop),
                None,
                "name",
            ),
            (
                properties.create("deals", no_options).await.map(drop),
                None,
                "options",
            ),
            (
                properties.create("deals", mismatched).await.map(drop),
                None,
                "fieldType",
            ),
            (
                properties.create("deal s", external_id()).await.map(drop),
                None,
                "objectType",
            ),
            (
                properties
                    .create_many("deals", vec![tier(), external_id(), tier()])
                    .await
                    .map(drop),
                Some(2),
                "name",
            ),
            (
                properties
                    .update("deals", "tier", PropertyUpdate::default())
                    .await
                    .map(drop),
                None,
                "update",
            ),
            (
                properties.archive("deals", "ti/er").await,
                None,
                "propertyName",
            ),
            (
                properties
                    .create_group(
                        "deals",
                        PropertyGroupCreate {
                            name: "billing".into(),
                            label: " ".into(),
                            display_order: None,
                        },
                    )
                    .await
                    .map(drop),
                None,
                "label",
            ),
            (
                properties.archive_group("deals", "..").await,
                None,
                "groupName",
            ),
        ];
        for (i, (result, item, field)) in cases.into_iter().enumerate() {
            let e = expect_validation(result);
            assert_eq!(
                (e.item, e.field.as_str()),
                (item, field),
                "case {i} on {version}"
            );
        }
        anything.assert_calls_async(0).await;
    }
}
