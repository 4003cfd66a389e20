//! A custom object whose type id is known only at run time, on both API versions: the schema
//! is created through the client, its `2-N` id found by name, and records written through a
//! typed handle on that id keep the `CrmObject` impl's rules. Two accounts give the type two
//! different ids, so nothing here holds the id as a constant.

use hubspot_crm::{
    ApiVersion, AssociationDefinitionEgg, Client, CrmObject, Error, NewRecord, ObjectSchemaEgg,
    ObjectTypeDefinitionLabels, ObjectTypeDefinitionPatch, ObjectTypePropertyCreate,
    ObjectTypePropertyCreateType, Objects, ReadOptions, ValidationError,
};
use hubspot_sandbox::{Sandbox, SandboxConfig};

use crate::common::{client, sandbox};

/// The account's `cars`, whatever its type id: a VIN has 17 characters. Written once for
/// every account, as `CrmObject`'s docs describe.
struct Car;

impl CrmObject for Car {
    const OBJECT_TYPE: &'static str = "p_cars";
    const OBJECT_TYPE_ID: &'static str = "";
    const DEFAULT_PROPERTIES: &'static [&'static str] = &["vin", "model"];

    fn validate_new(input: &NewRecord) -> Result<(), ValidationError> {
        match input.properties.get("vin") {
            Some(vin) if vin.chars().count() == 17 => Ok(()),
            Some(vin) => Err(ValidationError::new(
                "vin",
                format!("`{vin}` is not a VIN: a VIN has 17 characters"),
            )),
            None => Err(ValidationError::new("vin", "is required to create a car")),
        }
    }
}

fn text_property(name: &str, label: &str) -> ObjectTypePropertyCreate {
    ObjectTypePropertyCreate::builder()
        .name(name)
        .label(label)
        .type_(ObjectTypePropertyCreateType::String)
        .field_type("text")
        .try_into()
        .expect("every required field is given")
}

/// `cars`, with a required `vin` and a `model`, associated with contacts.
fn cars_schema() -> ObjectSchemaEgg {
    ObjectSchemaEgg::builder()
        .name("cars")
        .labels(ObjectTypeDefinitionLabels {
            singular: Some("Car".into()),
            plural: Some("Cars".into()),
        })
        .properties(vec![
            text_property("vin", "VIN"),
            text_property("model", "Model"),
        ])
        .required_properties(vec!["vin".to_owned()])
        .primary_display_property(Some("vin".to_owned()))
        .associated_objects(vec!["CONTACT".to_owned()])
        .try_into()
        .expect("every required field is given")
}

/// The paths the sandbox received after the first `skip` requests.
fn paths_since(sandbox: &Sandbox, skip: usize) -> Vec<String> {
    sandbox
        .request_log()
        .into_iter()
        .skip(skip)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// Creates `cars` in the account of `client`, finds its id by name, and writes cars through
/// the typed handle: answers the id the account gave the type.
async fn cars_in_account(sandbox: &Sandbox, client: &Client) -> String {
    let (schemas, objects) = match client.api_version() {
        ApiVersion::V3 => ("/crm-object-schemas/v3/schemas", "/crm/v3/objects"),
        _ => (
            "/crm-object-schemas/2026-09/schemas",
            "/crm/objects/2026-09",
        ),
    };
    let created = client.schemas().create(cars_schema()).await.unwrap();
    let seen = sandbox.request_log().len();

    let cars = client.objects_named::<Car>("cars").await.unwrap();
    let type_id = cars.object_type().to_owned();
    assert_eq!(created.type_id(), Some(type_id.as_str()));
    assert!(type_id.starts_with("2-"), "{type_id}");
    assert_eq!(paths_since(sandbox, seen), [format!("GET {schemas}")]);

    let seen = sandbox.request_log().len();
    bad_cars_are_refused_unsent(sandbox, &cars).await;

    // A valid car is created under the type id and read back by its id.
    let car = cars
        .create(
            NewRecord::new()
                .property("vin", "1HGCM82633A004352")
                .property("model", "Accord"),
        )
        .await
        .unwrap();
    assert_eq!(
        paths_since(sandbox, seen),
        [format!("POST {objects}/{type_id}")]
    );
    let read = cars.get(&car.id).await.unwrap();
    assert_eq!(read.id, car.id);
    assert_eq!(read.property("vin"), Some("1HGCM82633A004352"));
    assert_eq!(read.property("model"), Some("Accord"));
    let listed = cars
        .list_page(&ReadOptions::new().properties(["vin"]), Some(10), None)
        .await
        .unwrap();
    assert_eq!(listed.results.len(), 1);

    // The sandbox requires `vin` too: a handle without Car's rules sends the car, and the
    // account refuses it. The typed handle had caught it before sending.
    let untyped = client.objects_of(&type_id).unwrap();
    let refused = untyped
        .create(NewRecord::new().property("model", "Civic"))
        .await;
    let api_error = refused.unwrap_err();
    let api_error = api_error.api_error().expect("HubSpot's answer");
    assert_eq!(api_error.status, 400);
    assert_eq!(api_error.errors[0].code.as_deref(), Some("REQUIRED_FIELD"));
    assert!(
        api_error.errors[0]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("vin")
    );
    assert_eq!(sandbox.live_count(&type_id), 1);
    change_schema(client, &type_id).await;
    type_id
}

/// Car's rule refuses a bad VIN before any request, alone or in a bulk create.
async fn bad_cars_are_refused_unsent(sandbox: &Sandbox, cars: &Objects<Car>) {
    let seen = sandbox.request_log().len();
    let refused = cars
        .create(NewRecord::new().property("vin", "WBA123"))
        .await;
    assert!(
        matches!(&refused, Err(Error::Validation(e)) if e.field == "vin"),
        "{refused:?}"
    );
    let bulk = cars
        .create_many(vec![
            NewRecord::new().property("vin", "1HGCM82633A004352"),
            NewRecord::new().property("model", "Civic"),
        ])
        .await;
    assert!(
        matches!(&bulk, Err(Error::Validation(e)) if e.item == Some(1)),
        "{bulk:?}"
    );
    assert!(paths_since(sandbox, seen).is_empty(), "nothing was sent");
}

/// Renames the type's plural and defines, then removes, an association to companies.
async fn change_schema(client: &Client, type_id: &str) {
    let schemas = client.schemas();
    let patch = ObjectTypeDefinitionPatch {
        labels: Some(ObjectTypeDefinitionLabels {
            singular: None,
            plural: Some("Automobiles".into()),
        }),
        ..ObjectTypeDefinitionPatch::default()
    };
    let updated = schemas.update(type_id, patch).await.unwrap();
    assert_eq!(updated.labels.plural.as_deref(), Some("Automobiles"));
    assert_eq!(updated.labels.singular.as_deref(), Some("Car"));
    let egg = AssociationDefinitionEgg {
        from_object_type_id: type_id.to_owned(),
        to_object_type_id: "0-2".into(),
        name: Some("car_to_company".into()),
    };
    let association = schemas.create_association(type_id, egg).await.unwrap();
    let listed = |schema: &hubspot_crm::CustomObjectSchema| {
        schema.associations.iter().any(|a| a.id == association.id)
    };
    assert!(listed(&schemas.get(type_id).await.unwrap()));
    schemas
        .archive_association(type_id, &association.id)
        .await
        .unwrap();
    assert!(!listed(&schemas.get(type_id).await.unwrap()));
}

#[tokio::test]
async fn a_schema_found_by_name_takes_records_with_its_types_rules_on_both_versions() {
    for version in [ApiVersion::V3, ApiVersion::V2026_09] {
        // One account had custom types before `cars`, the other none: their ids differ.
        let seasoned =
            sandbox(SandboxConfig::new().custom_object_type("2-3000041", "trucks")).await;
        let fresh = sandbox(SandboxConfig::new()).await;
        let mut ids = Vec::new();
        for account in [&seasoned, &fresh] {
            let client = client(account).with_api_version(version);
            ids.push(cars_in_account(account, &client).await);
        }
        assert_ne!(
            ids[0], ids[1],
            "{version}: the id is the account's, not a constant"
        );
        seasoned.shutdown().await;
        fresh.shutdown().await;
    }
}

#[tokio::test]
async fn an_id_from_configuration_gives_the_same_typed_handle() {
    let account = sandbox(SandboxConfig::new()).await;
    let client = client(&account);
    let created = client.schemas().create(cars_schema()).await.unwrap();
    let configured = created.type_id().unwrap().to_owned();

    let cars = client.objects_as::<Car>(&configured).unwrap();
    let seen = account.request_log().len();
    let refused = cars
        .create(NewRecord::new().property("vin", "too short"))
        .await;
    assert!(matches!(refused, Err(Error::Validation(_))));
    assert!(paths_since(&account, seen).is_empty());
    let car = cars
        .create(NewRecord::new().property("vin", "JH4KA7561PC008269"))
        .await
        .unwrap();
    // The records are the type's, whichever name addresses it.
    let by_name = client.objects::<Car>();
    assert_eq!(
        by_name.get(&car.id).await.unwrap().property("vin"),
        Some("JH4KA7561PC008269")
    );
    account.shutdown().await;
}

#[tokio::test]
async fn a_schema_deleted_elsewhere_is_unknown_by_name_once_the_list_is_read() {
    let account = sandbox(SandboxConfig::new()).await;
    let client = client(&account);
    let created = client.schemas().create(cars_schema()).await.unwrap();
    let type_id = client.schemas().type_id("cars").await.unwrap();
    assert_eq!(Some(type_id.as_str()), created.type_id());

    // Another client of the account deletes the type; this client's cache still names it,
    // and the account refuses the type that is gone.
    crate::common::client(&account)
        .schemas()
        .archive("p_cars")
        .await
        .unwrap();
    let stale = client.objects_named::<Car>("cars").await.unwrap();
    assert_eq!(stale.object_type(), type_id);
    let gone = stale.get("100000000001").await.unwrap_err();
    assert_eq!(gone.status(), Some(400), "{gone}");

    // Reading the list again brings the cache up to date.
    assert!(client.schemas().list().await.unwrap().is_empty());
    let unknown = client.objects_named::<Car>("cars").await;
    assert!(matches!(unknown, Err(Error::UnknownObjectType { name }) if name == "cars"));
    account.shutdown().await;
}
