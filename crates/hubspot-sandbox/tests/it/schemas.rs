//! The schemas API on both path families: created schemas are new custom object types
//! (`2-N`) that the objects API serves at once by every name, with the schema's properties
//! checked and its required properties required; updates, deletes and association
//! definitions.

use hubspot_sandbox::SandboxConfig;
use hubspot_sandbox::webhook::PORTAL_ID;
use serde_json::{Value, json};

use crate::common::{Api, assert_error};

/// The schemas paths of both versions.
const PREFIXES: [&str; 2] = [
    "/crm-object-schemas/v3/schemas",
    "/crm-object-schemas/2026-09/schemas",
];

/// The objects paths of both versions.
const OBJECTS: [&str; 2] = ["/crm/v3/objects", "/crm/objects/2026-09"];

/// `cars`: a required unique `vin`, a `model`, a numeric `year` and a `colour` dropdown,
/// associated with contacts.
fn cars() -> Value {
    json!({
        "name": "cars",
        "labels": {"singular": "Car", "plural": "Cars"},
        "primaryDisplayProperty": "vin",
        "requiredProperties": ["vin"],
        "searchableProperties": ["vin", "model"],
        "secondaryDisplayProperties": ["model"],
        "associatedObjects": ["CONTACT"],
        "properties": [
            {"name": "vin", "label": "VIN", "type": "string", "fieldType": "text", "hasUniqueValue": true},
            {"name": "model", "label": "Model", "type": "string", "fieldType": "text"},
            {"name": "year", "label": "Year", "type": "number", "fieldType": "number"},
            {"name": "colour", "label": "Colour", "type": "enumeration", "fieldType": "select",
             "options": [{"label": "Red", "value": "red", "displayOrder": 0, "hidden": false},
                         {"label": "Blue", "value": "blue", "displayOrder": 1, "hidden": false}]}
        ]
    })
}

/// Creates `schema` through `prefix` and answers its type id.
async fn create(api: &Api, prefix: &str, schema: Value) -> String {
    let (status, body) = api.post(prefix, schema).await;
    assert_eq!(status, 201, "{body}");
    body["objectTypeId"].as_str().unwrap().to_string()
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p[key].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_created_schema_is_a_type_the_objects_api_serves_by_every_name() {
    for (prefix, objects) in PREFIXES.into_iter().zip(OBJECTS) {
        let api = Api::start().await;
        let (status, schema) = api.post(prefix, cars()).await;
        assert_eq!(status, 201, "{schema}");
        let id = schema["objectTypeId"].as_str().unwrap();
        assert_eq!(schema["id"], id.trim_start_matches("2-"));
        assert_eq!(schema["fullyQualifiedName"], format!("p{PORTAL_ID}_cars"));
        assert_eq!(
            schema["labels"],
            json!({"singular": "Car", "plural": "Cars"})
        );
        assert_eq!(schema["requiredProperties"], json!(["vin"]));
        let properties = names(&schema["properties"], "name");
        for name in [
            "hs_object_id",
            "hs_createdate",
            "hs_lastmodifieddate",
            "vin",
            "model",
            "year",
            "colour",
        ] {
            assert!(
                properties.contains(&name.to_string()),
                "{name} in {properties:?}"
            );
        }
        assert_eq!(schema["associations"][0]["fromObjectTypeId"], id);
        assert_eq!(schema["associations"][0]["toObjectTypeId"], "0-1");

        let fqn = format!("p{PORTAL_ID}_cars");
        for (i, name) in [id, "cars", "CARS", "p_cars", fqn.as_str()]
            .into_iter()
            .enumerate()
        {
            let vin = format!("1HGCM82633A00435{i}");
            let (status, car) = api
                .post(
                    &format!("{objects}/{name}"),
                    json!({"properties": {"vin": vin, "year": "2019"}}),
                )
                .await;
            assert_eq!(status, 201, "{name}: {car}");
            let (status, read) = api
                .get(&format!(
                    "{objects}/{id}/{}?properties=vin,year",
                    car["id"].as_str().unwrap()
                ))
                .await;
            assert_eq!(status, 200, "{read}");
            assert_eq!(read["properties"]["vin"], vin.as_str());
        }
        let (_, listed) = api.get(prefix).await;
        assert_eq!(names(&listed["results"], "objectTypeId"), [id]);
        let (status, read) = api.get(&format!("{prefix}/{fqn}")).await;
        assert_eq!((status, &read["name"]), (200, &json!("cars")));
        let (_, defined) = api.get(&format!("/crm/v3/properties/{id}/colour")).await;
        assert_eq!(defined["type"], "enumeration", "{defined}");
        api.sandbox.shutdown().await;
    }
}

#[tokio::test]
async fn values_of_a_created_type_are_checked_against_its_properties() {
    let api = Api::start().await;
    let id = create(&api, PREFIXES[0], cars()).await;
    let path = format!("/crm/v3/objects/{id}");
    for (properties, code) in [
        (
            json!({"vin": "V1", "mileage": "1000"}),
            "PROPERTY_DOESNT_EXIST",
        ),
        (json!({"vin": "V1", "year": "last year"}), "INVALID_DECIMAL"),
        (json!({"vin": "V1", "colour": "purple"}), "INVALID_OPTION"),
        (json!({"vin": "V1", "hs_object_id": "7"}), "READ_ONLY_VALUE"),
    ] {
        let (status, body) = api.post(&path, json!({"properties": properties})).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["errors"][0]["code"], code, "{body}");
    }
    let (status, _) = api
        .post(&path, json!({"properties": {"vin": "V1", "colour": "red"}}))
        .await;
    assert_eq!(status, 201);
    // `vin` was created with hasUniqueValue.
    let (status, body) = api.post(&path, json!({"properties": {"vin": "V1"}})).await;
    assert_eq!(status, 409, "{body}");
    assert_error(&body, "CONFLICT");
    assert_eq!(api.sandbox.live_count(&id), 1);
    // The sandbox's own helpers take the schema's names too.
    let seeded = api.sandbox.seed_object("p_cars", json!({"vin": "V2"}));
    let (status, _) = api.get(&format!("{path}/{seeded}")).await;
    assert_eq!(status, 200);
    assert_eq!(api.sandbox.live_count("cars"), 2);
}

#[tokio::test]
async fn required_properties_must_be_set_on_create_on_both_versions() {
    let api = Api::start().await;
    let id = create(&api, PREFIXES[1], cars()).await;
    for objects in OBJECTS {
        for properties in [
            json!({"model": "Civic"}),
            json!({"vin": " ", "model": "Civic"}),
        ] {
            let (status, body) = api
                .post(
                    &format!("{objects}/{id}"),
                    json!({"properties": properties}),
                )
                .await;
            assert_eq!(status, 400, "{body}");
            assert_error(&body, "VALIDATION_ERROR");
            assert_eq!(body["errors"][0]["code"], "REQUIRED_FIELD");
            assert_eq!(body["errors"][0]["context"]["propertyName"], json!(["vin"]));
        }
        let (status, body) = api
            .post(
                &format!("{objects}/{id}/batch/create"),
                json!({"inputs": [{"properties": {"vin": "V9"}}, {"properties": {"model": "Civic"}}]}),
            )
            .await;
        assert_eq!(
            status, 400,
            "a batch with one input missing it is refused: {body}"
        );
    }
    assert_eq!(api.sandbox.live_count(&id), 0);
    // Updates need not repeat it.
    let (_, car) = api
        .post(
            &format!("/crm/v3/objects/{id}"),
            json!({"properties": {"vin": "V1"}}),
        )
        .await;
    let (status, body) = api
        .send(
            "PATCH",
            &format!("/crm/v3/objects/{id}/{}", car["id"].as_str().unwrap()),
            Some(json!({"properties": {"model": "Civic"}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn each_new_type_gets_the_next_free_id() {
    let fresh = Api::start().await;
    let first = create(&fresh, PREFIXES[0], cars()).await;
    let mut boats = cars();
    boats["name"] = json!("boats");
    let second = create(&fresh, PREFIXES[1], boats.clone()).await;
    assert_eq!(first, "2-3000001");
    assert_eq!(second, "2-3000002");

    // Types the sandbox knows already (registered, or used without registration) are skipped.
    let seeded = Api::with(SandboxConfig::new().custom_object_type("2-3000005", "trucks")).await;
    let (status, _) = seeded.get("/crm/v3/objects/2-3000009").await;
    assert_eq!(status, 200);
    assert_eq!(create(&seeded, PREFIXES[0], cars()).await, "2-3000010");
}

#[tokio::test]
async fn a_name_already_held_is_a_conflict() {
    let api = Api::with(SandboxConfig::new().custom_object_type("2-1234567", "machines")).await;
    create(&api, PREFIXES[0], cars()).await;
    for name in ["cars", "CARS", "machines", "contacts", "deal"] {
        let mut schema = cars();
        schema["name"] = json!(name);
        let (status, body) = api.post(PREFIXES[1], schema).await;
        assert_eq!(status, 409, "{name}: {body}");
        assert_error(&body, "CONFLICT");
    }
}

/// A change made to a valid schema.
type Change = fn(&mut Value);

#[tokio::test]
async fn invalid_schemas_are_refused_and_create_nothing() {
    let api = Api::start().await;
    let cases: Vec<(&str, Change)> = vec![
        ("name starting with a digit", |s| s["name"] = json!("2cars")),
        ("name with a space", |s| s["name"] = json!("my cars")),
        ("no plural label", |s| {
            s["labels"] = json!({"singular": "Car"})
        }),
        ("property name with a dash", |s| {
            s["properties"][1]["name"] = json!("car-model")
        }),
        ("property defined twice", |s| {
            s["properties"][1]["name"] = json!("vin")
        }),
        ("HubSpot's own property", |s| {
            s["properties"][1]["name"] = json!("hs_createdate")
        }),
        ("unknown property type", |s| {
            s["properties"][1]["type"] = json!("text")
        }),
        ("no label", |s| s["properties"][1]["label"] = json!("")),
        ("enumeration without options", |s| {
            s["properties"][3]["options"] = json!([])
        }),
        ("required property not defined", |s| {
            s["requiredProperties"] = json!(["vin", "plate"])
        }),
        ("searchable property not defined", |s| {
            s["searchableProperties"] = json!(["plate"])
        }),
        ("primary display property not defined", |s| {
            s["primaryDisplayProperty"] = json!("plate")
        }),
        ("unknown associated type", |s| {
            s["associatedObjects"] = json!(["spaceships"])
        }),
    ];
    for (what, change) in cases {
        let mut schema = cars();
        change(&mut schema);
        let (status, body) = api.post(PREFIXES[0], schema).await;
        assert_eq!(status, 400, "{what}: {body}");
        assert_error(&body, "VALIDATION_ERROR");
    }
    let (_, listed) = api.get(PREFIXES[0]).await;
    assert_eq!(listed["results"], json!([]));
    assert_eq!(
        create(&api, PREFIXES[0], cars()).await,
        "2-3000001",
        "no id was used"
    );
}

#[tokio::test]
async fn update_changes_labels_required_and_display_properties() {
    let api = Api::start().await;
    let id = create(&api, PREFIXES[0], cars()).await;
    for prefix in PREFIXES {
        let (status, body) = api
            .send(
                "PATCH",
                &format!("{prefix}/p_cars"),
                Some(json!({
                    "labels": {"plural": "Vehicles"},
                    "requiredProperties": ["vin", "model"],
                    "primaryDisplayProperty": "model",
                    "clearDescription": false
                })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["objectTypeId"], id.as_str());
        assert_eq!(
            body["labels"],
            json!({"singular": "Car", "plural": "Vehicles"})
        );
        assert!(
            body.get("properties").is_none(),
            "an update answers the definition"
        );
    }
    let (_, read) = api.get(&format!("{}/{id}", PREFIXES[1])).await;
    assert_eq!(read["requiredProperties"], json!(["vin", "model"]));
    assert_eq!(read["primaryDisplayProperty"], "model");
    let (status, body) = api
        .post(
            &format!("/crm/v3/objects/{id}"),
            json!({"properties": {"vin": "V1"}}),
        )
        .await;
    assert_eq!(status, 400, "model is required now: {body}");
    assert_eq!(
        body["errors"][0]["context"]["propertyName"],
        json!(["model"])
    );

    let (status, _) = api
        .send(
            "PATCH",
            &format!("{}/{id}", PREFIXES[0]),
            Some(json!({"requiredProperties": ["plate"]})),
        )
        .await;
    assert_eq!(status, 400, "not a property of the schema");
    let (status, body) = api
        .send(
            "PATCH",
            &format!("{}/p_boats", PREFIXES[0]),
            Some(json!({"labels": {"plural": "Boats"}})),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_error(&body, "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn a_type_with_records_cannot_be_deleted_then_it_is_gone() {
    let api = Api::start().await;
    let id = create(&api, PREFIXES[0], cars()).await;
    let (_, car) = api
        .post(
            &format!("/crm/v3/objects/{id}"),
            json!({"properties": {"vin": "V1"}}),
        )
        .await;
    let car = car["id"].as_str().unwrap().to_string();
    let (status, body) = api
        .send("DELETE", &format!("{}/{id}", PREFIXES[1]), None)
        .await;
    assert_eq!(status, 400, "{body}");
    assert_error(&body, "VALIDATION_ERROR");

    let (status, _) = api
        .send("DELETE", &format!("/crm/v3/objects/{id}/{car}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = api
        .send("DELETE", &format!("{}/p_cars", PREFIXES[1]), None)
        .await;
    assert_eq!(status, 204);

    let (status, _) = api.get(&format!("{}/{id}", PREFIXES[0])).await;
    assert_eq!(status, 404);
    let (_, listed) = api.get(PREFIXES[0]).await;
    assert_eq!(listed["results"], json!([]));
    let (_, deleted) = api.get(&format!("{}?archived=true", PREFIXES[0])).await;
    assert_eq!(names(&deleted["results"], "objectTypeId"), [id.as_str()]);
    for name in [id.as_str(), "cars", "p_cars"] {
        let (status, body) = api.get(&format!("/crm/v3/objects/{name}")).await;
        assert_eq!(status, 400, "{name}: {body}");
        assert_error(&body, "VALIDATION_ERROR");
    }
    // The name stays taken until the schema is purged; a new one gets a new id.
    let (status, _) = api.post(PREFIXES[0], cars()).await;
    assert_eq!(status, 409);
    let (status, _) = api
        .send(
            "DELETE",
            &format!("{}/{id}?archived=true", PREFIXES[0]),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let again = create(&api, PREFIXES[0], cars()).await;
    assert_ne!(again, id);
    let (status, _) = api.get(&format!("/crm/v3/objects/{id}")).await;
    assert_eq!(status, 400, "the purged type stays gone");
}

#[tokio::test]
async fn association_definitions_are_created_used_and_removed() {
    let api = Api::start().await;
    let id = create(&api, PREFIXES[0], cars()).await;
    let (_, car) = api
        .post(
            &format!("/crm/v3/objects/{id}"),
            json!({"properties": {"vin": "V1"}}),
        )
        .await;
    let (_, company) = api
        .post(
            "/crm/v3/objects/companies",
            json!({"properties": {"name": "Acme"}}),
        )
        .await;
    let (car, company) = (car["id"].as_str().unwrap(), company["id"].as_str().unwrap());
    for prefix in PREFIXES {
        let path = format!("{prefix}/{id}/associations");
        let (status, definition) = api
            .post(&path, json!({"fromObjectTypeId": id, "toObjectTypeId": "0-2", "name": format!("car_to_company_{}", prefix.len())}))
            .await;
        assert_eq!(status, 201, "{definition}");
        assert_eq!(definition["fromObjectTypeId"], id.as_str());
        assert_eq!(definition["toObjectTypeId"], "0-2");
        let type_id: u64 = definition["id"].as_str().unwrap().parse().unwrap();

        let (_, labels) = api
            .get(&format!("/crm/v4/associations/{id}/companies/labels"))
            .await;
        assert!(
            labels["results"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["typeId"] == type_id),
            "{labels}"
        );
        let (status, body) = api
            .send(
                "PUT",
                &format!("/crm/v4/objects/{id}/{car}/associations/companies/{company}"),
                Some(
                    json!([{"associationCategory": "USER_DEFINED", "associationTypeId": type_id}]),
                ),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let (_, linked) = api
            .get(&format!(
                "/crm/v4/objects/{id}/{car}/associations/companies"
            ))
            .await;
        let types = &linked["results"][0]["associationTypes"];
        assert!(
            types
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["typeId"] == type_id),
            "{linked}"
        );
        let (_, schema) = api.get(&format!("{prefix}/{id}")).await;
        assert!(
            schema["associations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["id"] == definition["id"])
        );

        let removal = format!("{path}/{type_id}");
        let (status, _) = api.send("DELETE", &removal, None).await;
        assert_eq!(status, 204);
        let (status, _) = api.send("DELETE", &removal, None).await;
        assert_eq!(status, 404);
        let (_, labels) = api
            .get(&format!("/crm/v4/associations/{id}/companies/labels"))
            .await;
        assert!(
            !labels["results"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["typeId"] == type_id)
        );
    }
    let (status, body) = api
        .post(
            &format!("{}/{id}/associations", PREFIXES[0]),
            json!({"fromObjectTypeId": "0-1", "toObjectTypeId": "0-2"}),
        )
        .await;
    assert_eq!(status, 400, "neither end is the schema's type: {body}");
}

#[tokio::test]
async fn registered_types_are_listed_as_schemas() {
    let api = Api::with(SandboxConfig::new().custom_object_type("2-1234567", "machines")).await;
    for prefix in PREFIXES {
        let (status, listed) = api.get(prefix).await;
        assert_eq!(status, 200);
        let machines = &listed["results"][0];
        assert_eq!(machines["objectTypeId"], "2-1234567");
        assert_eq!(machines["name"], "machines");
        assert_eq!(
            machines["fullyQualifiedName"],
            format!("p{PORTAL_ID}_machines")
        );
        assert!(names(&machines["properties"], "name").contains(&"hs_object_id".to_string()));
    }
    // Still free-form: any property is taken.
    let (status, body) = api
        .post(
            "/crm/v3/objects/p_machines",
            json!({"properties": {"serial": "SN-1"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}
