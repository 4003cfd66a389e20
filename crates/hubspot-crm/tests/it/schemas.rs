//! Custom object schemas through `client.schemas()` on both API versions: the exact request
//! of each operation, type ids found by name and cached, typed handles on a type found at
//! run time, and malformed input refused before anything is sent.

use httpmock::prelude::*;
use hubspot_crm::{
    ApiVersion, AssociationDefinitionEgg, Client, CrmObject, Error, NewRecord, ObjectSchemaEgg,
    ObjectTypeDefinitionLabels, ObjectTypeDefinitionPatch, ObjectTypePropertyCreate,
    ObjectTypePropertyCreateType, ValidationError,
};
use serde_json::{Value, json};

use crate::support::{catch_all, client, client_with, expect_validation};

/// The account's portal id in the answers below (`p62515_cars`).
const PORTAL: &str = "62515";

/// Both versions, each with the prefix of its schemas paths.
const VERSIONS: [(ApiVersion, &str); 2] = [
    (ApiVersion::V3, "/crm-object-schemas/v3/schemas"),
    (ApiVersion::V2026_09, "/crm-object-schemas/2026-09/schemas"),
];

fn client_on(server: &MockServer, version: ApiVersion) -> Client {
    client_with(server, |b| b.api_version(version))
}

/// The `vin` property as HubSpot lists it in a schema.
fn vin_property() -> Value {
    json!({
        "updatedAt": "2026-10-02T09:15:00.000Z",
        "createdAt": "2026-10-02T09:15:00.000Z",
        "name": "vin",
        "label": "VIN",
        "type": "string",
        "fieldType": "text",
        "description": "",
        "groupName": "cars_information",
        "options": [],
        "displayOrder": -1,
        "calculated": false,
        "externalOptions": false,
        "hasUniqueValue": true,
        "hidden": false,
        "hubspotDefined": false,
        "modificationMetadata": {"archivable": true, "readOnlyDefinition": false, "readOnlyValue": false},
        "formField": true
    })
}

/// A schema as HubSpot answers it: `name`, type id `2-<number>`, one property and one
/// association to contacts.
fn schema_json(name: &str, number: u64) -> Value {
    json!({
        "id": number.to_string(),
        "objectTypeId": format!("2-{number}"),
        "fullyQualifiedName": format!("p{PORTAL}_{name}"),
        "name": name,
        "labels": {"singular": "Car", "plural": "Cars"},
        "requiredProperties": ["vin"],
        "searchableProperties": ["vin"],
        "primaryDisplayProperty": "vin",
        "secondaryDisplayProperties": [],
        "archived": false,
        "allowsSensitiveProperties": false,
        "createdAt": "2026-10-02T09:15:00.000Z",
        "updatedAt": "2026-10-02T09:15:00.000Z",
        "createdByUserId": 4410021,
        "updatedByUserId": 4410021,
        "properties": [vin_property()],
        "associations": [{
            "id": "113",
            "fromObjectTypeId": format!("2-{number}"),
            "toObjectTypeId": "0-1",
            "name": format!("{name}_to_contact"),
            "createdAt": "2026-10-02T09:15:00.000Z",
            "updatedAt": "2026-10-02T09:15:00.000Z"
        }]
    })
}

/// Answers the list of schemas with `schemas` on `path`.
async fn serve_list<'a>(
    server: &'a MockServer,
    path: &str,
    schemas: Vec<Value>,
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(GET).path(path);
            then.status(200).json_body(json!({"results": schemas}));
        })
        .await
}

fn labels() -> ObjectTypeDefinitionLabels {
    ObjectTypeDefinitionLabels {
        singular: Some("Car".into()),
        plural: Some("Cars".into()),
    }
}

fn text_property(name: &str) -> ObjectTypePropertyCreate {
    ObjectTypePropertyCreate::builder()
        .name(name)
        .label(name.to_uppercase())
        .type_(ObjectTypePropertyCreateType::String)
        .field_type("text")
        .try_into()
        .unwrap()
}

/// A valid schema: `cars` with a required, unique `vin` and a `model`.
fn cars() -> ObjectSchemaEgg {
    let mut vin = text_property("vin");
    vin.has_unique_value = Some(true);
    ObjectSchemaEgg::builder()
        .name("cars")
        .labels(labels())
        .properties(vec![vin, text_property("model")])
        .required_properties(vec!["vin".to_owned()])
        .searchable_properties(vec!["vin".to_owned(), "model".to_owned()])
        .primary_display_property(Some("vin".to_owned()))
        .associated_objects(vec!["CONTACT".to_owned()])
        .try_into()
        .unwrap()
}

/// The JSON of [`cars`]'s properties, as both versions send them.
fn cars_properties() -> Value {
    json!([
        {"name": "vin", "label": "VIN", "type": "string", "fieldType": "text", "hasUniqueValue": true},
        {"name": "model", "label": "MODEL", "type": "string", "fieldType": "text"}
    ])
}

#[tokio::test]
async fn list_and_get_read_the_schema_paths_of_each_version() {
    for (version, prefix) in VERSIONS {
        let server = MockServer::start_async().await;
        let list = serve_list(
            &server,
            prefix,
            vec![schema_json("cars", 101), schema_json("boats", 102)],
        )
        .await;
        let get = server
            .mock_async(|when, then| {
                when.method(GET).path(format!("{prefix}/2-101"));
                then.status(200).json_body(schema_json("cars", 101));
            })
            .await;
        let schemas = client_on(&server, version).schemas();

        let listed = schemas.list().await.unwrap();
        let names: Vec<(&str, Option<&str>)> = listed
            .iter()
            .map(|s| (s.name.as_str(), s.type_id()))
            .collect();
        assert_eq!(
            names,
            [("cars", Some("2-101")), ("boats", Some("2-102"))],
            "{version}"
        );
        let cars = schemas.get("2-101").await.unwrap();
        assert_eq!(cars.fully_qualified_name.as_deref(), Some("p62515_cars"));
        assert_eq!(cars.required_properties, ["vin"]);
        assert_eq!(cars.associations[0].to_object_type_id, "0-1");
        let definitions = cars.property_definitions();
        assert_eq!(definitions.object_type(), "2-101");
        assert!(definitions.get("vin").unwrap().has_unique_value);
        list.assert_calls_async(1).await;
        get.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn create_posts_the_schema_as_each_version_takes_it() {
    let v3_body = json!({
        "name": "cars",
        "labels": {"singular": "Car", "plural": "Cars"},
        "properties": cars_properties(),
        "requiredProperties": ["vin"],
        "searchableProperties": ["vin", "model"],
        "primaryDisplayProperty": "vin",
        "associatedObjects": ["CONTACT"]
    });
    // 2026-09 requires allowsSensitiveProperties and both display lists.
    let mut dated_body = v3_body.clone();
    dated_body["allowsSensitiveProperties"] = json!(false);
    dated_body["secondaryDisplayProperties"] = json!([]);
    for ((version, prefix), body) in VERSIONS.into_iter().zip([v3_body, dated_body]) {
        let server = MockServer::start_async().await;
        let create = server
            .mock_async(|when, then| {
                when.method(POST).path(prefix).json_body(body);
                then.status(201).json_body(schema_json("cars", 101));
            })
            .await;
        let created = client_on(&server, version)
            .schemas()
            .create(cars())
            .await
            .unwrap();
        assert_eq!(created.type_id(), Some("2-101"), "{version}");
        assert_eq!(created.properties[0].name, "vin");
        create.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn update_patches_only_what_changes() {
    let v3_body = json!({
        "labels": {"singular": "Vehicle", "plural": "Vehicles"},
        "requiredProperties": ["vin", "model"]
    });
    // 2026-09 requires clearDescription.
    let mut dated_body = v3_body.clone();
    dated_body["clearDescription"] = json!(false);
    let mut answer = schema_json("cars", 101);
    for drop in [
        "properties",
        "associations",
        "createdByUserId",
        "updatedByUserId",
    ] {
        answer.as_object_mut().unwrap().remove(drop);
    }
    answer["labels"] = json!({"singular": "Vehicle", "plural": "Vehicles"});
    answer["requiredProperties"] = json!(["vin", "model"]);
    for ((version, prefix), body) in VERSIONS.into_iter().zip([v3_body, dated_body]) {
        let server = MockServer::start_async().await;
        let update = server
            .mock_async(|when, then| {
                when.method(PATCH)
                    .path(format!("{prefix}/p62515_cars"))
                    .json_body(body);
                then.status(200).json_body(answer.clone());
            })
            .await;
        let patch = ObjectTypeDefinitionPatch {
            labels: Some(ObjectTypeDefinitionLabels {
                singular: Some("Vehicle".into()),
                plural: Some("Vehicles".into()),
            }),
            required_properties: vec!["vin".into(), "model".into()],
            ..ObjectTypeDefinitionPatch::default()
        };
        let updated = client_on(&server, version)
            .schemas()
            .update("p62515_cars", patch)
            .await
            .unwrap();
        assert_eq!(updated.type_id(), Some("2-101"), "{version}");
        assert_eq!(updated.labels.plural.as_deref(), Some("Vehicles"));
        assert_eq!(updated.required_properties, ["vin", "model"]);
        update.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn archive_and_associations_go_to_their_paths() {
    for (version, prefix) in VERSIONS {
        let server = MockServer::start_async().await;
        let archive = server
            .mock_async(|when, then| {
                when.method(DELETE)
                    .path(format!("{prefix}/2-101"))
                    .query_param_missing("archived");
                then.status(204);
            })
            .await;
        let associate = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path(format!("{prefix}/2-101/associations"))
                    .json_body(json!({"fromObjectTypeId": "2-101", "toObjectTypeId": "0-2", "name": "car_to_company"}));
                then.status(201).json_body(json!({
                    "id": "127",
                    "fromObjectTypeId": "2-101",
                    "toObjectTypeId": "0-2",
                    "name": "car_to_company",
                    "createdAt": "2026-10-03T11:00:00.000Z",
                    "updatedAt": "2026-10-03T11:00:00.000Z"
                }));
            })
            .await;
        let dissociate = server
            .mock_async(|when, then| {
                when.method(DELETE)
                    .path(format!("{prefix}/2-101/associations/127"));
                then.status(204);
            })
            .await;
        let schemas = client_on(&server, version).schemas();
        let egg = AssociationDefinitionEgg {
            from_object_type_id: "2-101".into(),
            to_object_type_id: "0-2".into(),
            name: Some("car_to_company".into()),
        };
        let definition = schemas.create_association("2-101", egg).await.unwrap();
        assert_eq!(
            (
                definition.id.as_str(),
                definition.to_object_type_id.as_str()
            ),
            ("127", "0-2")
        );
        schemas
            .archive_association("2-101", &definition.id)
            .await
            .unwrap();
        schemas.archive("2-101").await.unwrap();
        for mock in [&archive, &associate, &dissociate] {
            mock.assert_calls_async(1).await;
        }
    }
}

#[tokio::test]
async fn type_id_finds_every_name_of_a_schema_with_one_list_request() {
    for (version, prefix) in VERSIONS {
        let server = MockServer::start_async().await;
        let list = serve_list(
            &server,
            prefix,
            vec![schema_json("cars", 101), schema_json("boats", 102)],
        )
        .await;
        let client = client_on(&server, version);
        let schemas = client.schemas();
        for name in [
            "cars",
            "CARS",
            "p_cars",
            "P_CARS",
            "p62515_cars",
            "P62515_Cars",
        ] {
            assert_eq!(
                schemas.type_id(name).await.unwrap(),
                "2-101",
                "{name} on {version}"
            );
        }
        // A clone of the client, and another handle, share the cache.
        assert_eq!(
            client.clone().schemas().type_id("boats").await.unwrap(),
            "2-102"
        );
        // An id is answered as it is.
        assert_eq!(schemas.type_id("2-7654321").await.unwrap(), "2-7654321");
        list.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn an_unknown_name_reads_the_list_once_more_then_fails_typed() {
    let server = MockServer::start_async().await;
    let prefix = VERSIONS[0].1;
    let mut list = serve_list(&server, prefix, vec![schema_json("cars", 101)]).await;
    let schemas = client(&server).schemas();
    assert_eq!(schemas.type_id("cars").await.unwrap(), "2-101");
    list.assert_calls_async(1).await;

    // Unknown to the cached list: read once more, then the typed error.
    match schemas.type_id("trucks").await {
        Err(Error::UnknownObjectType { name }) => assert_eq!(name, "trucks"),
        other => panic!("expected UnknownObjectType, got {other:?}"),
    }
    list.assert_calls_async(2).await;

    // A type created elsewhere since the list was cached is found by that second read.
    list.delete_async().await;
    list = serve_list(
        &server,
        prefix,
        vec![schema_json("cars", 101), schema_json("trucks", 103)],
    )
    .await;
    assert_eq!(schemas.type_id("p_trucks").await.unwrap(), "2-103");
    list.assert_calls_async(1).await;
    assert_eq!(schemas.type_id("trucks").await.unwrap(), "2-103");
    list.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_list_read_by_the_lookup_itself_is_not_read_twice() {
    let server = MockServer::start_async().await;
    let list = serve_list(&server, VERSIONS[0].1, vec![schema_json("cars", 101)]).await;
    let error = client(&server)
        .schemas()
        .type_id("trucks")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::UnknownObjectType { name } if name == "trucks"),
        "{error:?}"
    );
    assert!(error.to_string().contains("`trucks`"), "{error}");
    list.assert_calls_async(1).await;
}

#[tokio::test]
async fn create_and_archive_keep_the_cached_names_current() {
    let server = MockServer::start_async().await;
    let prefix = VERSIONS[0].1;
    let mut list = serve_list(&server, prefix, vec![schema_json("cars", 101)]).await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path(prefix);
            then.status(201).json_body(schema_json("boats", 102));
        })
        .await;
    let archive = server
        .mock_async(|when, then| {
            when.method(DELETE).path(format!("{prefix}/p62515_cars"));
            then.status(204);
        })
        .await;
    let schemas = client(&server).schemas();
    assert_eq!(schemas.type_id("cars").await.unwrap(), "2-101");

    let mut boats = cars();
    boats.name = "boats".into();
    schemas.create(boats).await.unwrap();
    assert_eq!(schemas.type_id("p_boats").await.unwrap(), "2-102");
    list.assert_calls_async(1).await;

    schemas.archive("p62515_cars").await.unwrap();
    list.delete_async().await;
    list = serve_list(&server, prefix, vec![schema_json("boats", 102)]).await;
    assert!(matches!(
        schemas.type_id("cars").await,
        Err(Error::UnknownObjectType { .. })
    ));
    list.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    archive.assert_calls_async(1).await;
}

/// A custom object whose id the account decides: a VIN has 17 characters.
struct Car;

impl CrmObject for Car {
    const OBJECT_TYPE: &'static str = "p_cars";
    const OBJECT_TYPE_ID: &'static str = "";
    const DEFAULT_PROPERTIES: &'static [&'static str] = &["vin"];

    fn validate_new(input: &NewRecord) -> Result<(), ValidationError> {
        match input.properties.get("vin") {
            Some(vin) if vin.len() == 17 => Ok(()),
            _ => Err(ValidationError::new("vin", "a VIN has 17 characters")),
        }
    }
}

#[tokio::test]
async fn objects_named_addresses_the_found_id_with_the_types_rules() {
    for (version, prefix) in VERSIONS {
        let server = MockServer::start_async().await;
        let objects = match version {
            ApiVersion::V3 => "/crm/v3/objects",
            _ => "/crm/objects/2026-09",
        };
        let list = serve_list(&server, prefix, vec![schema_json("cars", 101)]).await;
        let create = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path(format!("{objects}/2-101"))
                    .json_body(
                        json!({"properties": {"vin": "1HGCM82633A004352"}, "associations": []}),
                    );
                then.status(201).json_body(json!({
                    "id": "512",
                    "properties": {"vin": "1HGCM82633A004352", "hs_object_id": "512"},
                    "createdAt": "2026-10-04T10:00:00.000Z",
                    "updatedAt": "2026-10-04T10:00:00.000Z",
                    "archived": false
                }));
            })
            .await;
        let client = client_on(&server, version);
        let cars = client.objects_named::<Car>("cars").await.unwrap();
        assert_eq!(cars.object_type(), "2-101");

        let refused =
            expect_validation(cars.create(NewRecord::new().property("vin", "short")).await);
        assert_eq!(refused.field, "vin");
        create.assert_calls_async(0).await;
        let car = cars
            .create(NewRecord::new().property("vin", "1HGCM82633A004352"))
            .await
            .unwrap();
        assert_eq!(car.id, "512", "{version}");
        create.assert_calls_async(1).await;

        // The same rules with an id from configuration, no lookup.
        let configured = client.objects_as::<Car>("2-101").unwrap();
        expect_validation(configured.create(NewRecord::new()).await);
        list.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn a_name_no_schema_has_fails_objects_named_typed() {
    let server = MockServer::start_async().await;
    serve_list(&server, VERSIONS[0].1, vec![schema_json("cars", 101)]).await;
    let result = client(&server).objects_named::<Car>("trucks").await;
    assert!(matches!(result, Err(Error::UnknownObjectType { name }) if name == "trucks"));
}

/// `cars()` changed by `change`.
fn cars_with(change: impl FnOnce(&mut ObjectSchemaEgg)) -> ObjectSchemaEgg {
    let mut schema = cars();
    change(&mut schema);
    schema
}

#[tokio::test]
async fn malformed_schemas_are_refused_naming_the_field_before_sending() {
    let enumeration = {
        let mut p = text_property("colour");
        p.type_ = ObjectTypePropertyCreateType::Enumeration;
        p.field_type = "select".into();
        p
    };
    let cases: Vec<(ObjectSchemaEgg, &str)> = vec![
        (cars_with(|s| s.name = "2cars".into()), "name"),
        (cars_with(|s| s.name = "my cars".into()), "name"),
        (cars_with(|s| s.name = String::new()), "name"),
        (cars_with(|s| s.labels.plural = None), "labels.plural"),
        (
            cars_with(|s| s.labels.singular = Some(" ".into())),
            "labels.singular",
        ),
        (
            cars_with(|s| s.properties[1].name = "car model".into()),
            "properties[1].name",
        ),
        (
            cars_with(|s| s.properties[1].name = "vin".into()),
            "properties[1].name",
        ),
        (
            cars_with(|s| s.properties[0].label = String::new()),
            "properties[0].label",
        ),
        (
            cars_with(|s| s.properties[0].field_type = String::new()),
            "properties[0].fieldType",
        ),
        (
            cars_with(|s| s.properties.push(enumeration)),
            "properties[2].options",
        ),
        (
            cars_with(|s| s.required_properties.push("colour".into())),
            "requiredProperties[1]",
        ),
        (
            cars_with(|s| s.searchable_properties = vec!["colour".into()]),
            "searchableProperties[0]",
        ),
        (
            cars_with(|s| s.secondary_display_properties = vec!["colour".into()]),
            "secondaryDisplayProperties[0]",
        ),
        (
            cars_with(|s| s.primary_display_property = Some("colour".into())),
            "primaryDisplayProperty",
        ),
        (
            cars_with(|s| s.associated_objects.push(String::new())),
            "associatedObjects[1]",
        ),
        (
            cars_with(|s| s.associated_objects = vec!["0-1/x".into()]),
            "associatedObjects[0]",
        ),
    ];
    let server = MockServer::start_async().await;
    let nothing = catch_all(&server).await;
    for version in [ApiVersion::V3, ApiVersion::V2026_09] {
        let schemas = client_on(&server, version).schemas();
        for (schema, field) in &cases {
            let error = expect_validation(schemas.create(schema.clone()).await);
            assert_eq!(error.field, *field, "{version}: {error}");
        }
    }
    // 2026-09 has no shouldCreateSameObjectAssociation: refused there, not dropped.
    let same = cars_with(|s| s.should_create_same_object_association = Some(true));
    let error = expect_validation(
        client_on(&server, ApiVersion::V2026_09)
            .schemas()
            .create(same)
            .await,
    );
    assert_eq!(error.field, "shouldCreateSameObjectAssociation");
    nothing.assert_calls_async(0).await;
}

#[tokio::test]
async fn malformed_updates_paths_and_names_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let nothing = catch_all(&server).await;
    let schemas = client(&server).schemas();
    let patch = |change: fn(&mut ObjectTypeDefinitionPatch)| {
        let mut patch = ObjectTypeDefinitionPatch::default();
        change(&mut patch);
        patch
    };
    let updates = [
        (patch(|_| {}), "patch"),
        (
            patch(|p| p.labels = Some(ObjectTypeDefinitionLabels::default())),
            "labels",
        ),
        (
            patch(|p| {
                p.labels = Some(ObjectTypeDefinitionLabels {
                    singular: Some(String::new()),
                    plural: None,
                })
            }),
            "labels.singular",
        ),
        (
            patch(|p| p.required_properties = vec!["vin".into(), "v-in".into()]),
            "requiredProperties[1]",
        ),
        (
            patch(|p| p.searchable_properties = vec!["vin".into(), "vin".into()]),
            "searchableProperties[1]",
        ),
        (
            patch(|p| p.primary_display_property = Some("a b".into())),
            "primaryDisplayProperty",
        ),
        (
            patch(|p| {
                p.description = Some("Cars we sell".into());
                p.clear_description = Some(true);
            }),
            "clearDescription",
        ),
    ];
    for (patch, field) in updates {
        let error = expect_validation(schemas.update("2-101", patch).await);
        assert_eq!(error.field, field, "{error}");
    }
    let valid_patch = patch(|p| p.description = Some("Cars we sell".into()));
    assert_eq!(
        expect_validation(schemas.update("../2-101", valid_patch).await).field,
        "objectType"
    );
    assert_eq!(
        expect_validation(schemas.get("2-101/associations").await).field,
        "objectType"
    );
    assert_eq!(
        expect_validation(schemas.archive("").await).field,
        "objectType"
    );
    assert_eq!(
        expect_validation(schemas.archive_association("2-101", "..").await).field,
        "associationIdentifier"
    );
    assert_eq!(
        expect_validation(schemas.archive_association("2-101", "127%2F..").await).field,
        "associationIdentifier"
    );
    let association = |from: &str, to: &str, name: Option<&str>| AssociationDefinitionEgg {
        from_object_type_id: from.into(),
        to_object_type_id: to.into(),
        name: name.map(Into::into),
    };
    for (egg, field) in [
        (association("", "0-1", None), "fromObjectTypeId"),
        (association("2-101", "0-1?x", None), "toObjectTypeId"),
        (association("2-101", "0-1", Some(" ")), "name"),
    ] {
        assert_eq!(
            expect_validation(schemas.create_association("2-101", egg).await).field,
            field
        );
    }
    for name in ["", "cars/../x", "p_cars?archived=true"] {
        assert_eq!(
            expect_validation(schemas.type_id(name).await).field,
            "name",
            "{name:?}"
        );
    }
    assert_eq!(
        expect_validation(
            client(&server)
                .objects_as::<Car>("2-101/../contacts")
                .map(|_| ())
        )
        .field,
        "objectType"
    );
    nothing.assert_calls_async(0).await;
}
