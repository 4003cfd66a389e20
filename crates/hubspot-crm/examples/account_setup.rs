//! Sets up what a sync needs in the account, through the client alone, then uses it:
//!
//! 1. ensures a unique-value property on leads to carry your own ids, and creates leads by it
//!    with `unique_by` (run twice: the second run finds them);
//! 2. creates the custom object `cars` unless the account has it, finds its type id by name
//!    at run time, and writes cars through a typed handle that keeps the type's own rules;
//! 3. moves a lead through its pipeline's stages with the account checks on, so a stage the
//!    pipeline does not have is refused before anything is sent.
//!
//! ```sh
//! cargo run -p hubspot-crm --example account_setup
//! HUBSPOT_API_VERSION=2026-09 cargo run -p hubspot-crm --example account_setup
//! HUBSPOT_ACCESS_TOKEN=pat-... cargo run -p hubspot-crm --example account_setup
//! ```
//!
//! Against HubSpot the token needs the schema scopes (`crm.schemas.leads.write`,
//! `crm.schemas.custom.write`) besides the leads, contacts and custom objects ones. The
//! example leaves the property and the `cars` schema in the account (a schema can only be
//! deleted once it holds no records), and archives the records it created.

mod common;

use std::error::Error;

use hubspot_crm::{
    Client, CrmObject, Error as CrmError, LeadAssociation, NewProperty, NewRecord, ObjectSchemaEgg,
    ObjectTypeDefinitionLabels, ObjectTypePropertyCreate, ObjectTypePropertyCreateType,
    ReadOptions, RecordUpdate, UniqueOutcome, ValidationError,
};
use hubspot_sandbox::SandboxConfig;

/// The property that carries the sync's own id of each lead.
const EXTERNAL_ID: &str = "sync_external_id";

/// The account's `cars`, whatever type id the account gave them: written once, used with
/// the id found at run time (`Client::objects_named`).
struct Car;

impl CrmObject for Car {
    const OBJECT_TYPE: &'static str = "p_cars";
    /// Differs per account: the handle carries the one found by name.
    const OBJECT_TYPE_ID: &'static str = "";
    const DEFAULT_PROPERTIES: &'static [&'static str] = &["vin", "model"];

    fn validate_new(input: &NewRecord) -> Result<(), ValidationError> {
        match input.properties.get("vin") {
            Some(vin) if vin.chars().count() == 17 => Ok(()),
            _ => Err(ValidationError::new(
                "vin",
                "a car needs its 17-character VIN",
            )),
        }
    }

    fn validate_update(update: &RecordUpdate) -> Result<(), ValidationError> {
        match update.properties.get("vin") {
            Some(vin) if vin.chars().count() != 17 => {
                Err(ValidationError::new("vin", "a VIN has 17 characters"))
            }
            _ => Ok(()),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let (client, _sandbox) = common::connect(SandboxConfig::new()).await?;
    let run_id = common::run_id();
    let contact = client
        .contacts()
        .create(NewRecord::new().property("email", format!("setup-{run_id}@example.com")))
        .await?;

    let lead_ids = leads_by_external_id(&client, &contact.id, &run_id).await?;
    let car_ids = cars(&client, &run_id).await?;
    move_through_pipeline(&client, &lead_ids[0]).await?;

    client.leads().archive_many(lead_ids).await?.into_result()?;
    client
        .objects_named::<Car>("cars")
        .await?
        .archive_many(car_ids)
        .await?
        .into_result()?;
    client.contacts().archive(&contact.id).await?;
    println!("archived what this run created");
    Ok(())
}

/// Ensures the unique property, then creates three leads by it, twice.
async fn leads_by_external_id(
    client: &Client,
    contact_id: &str,
    run_id: &str,
) -> Result<Vec<String>, Box<dyn Error>> {
    let property = NewProperty::string(EXTERNAL_ID, "Sync external id")
        .unique()
        .in_group("lead_information");
    let ensured = client.properties().ensure("leads", property).await?;
    println!(
        "{EXTERNAL_ID}: {}",
        if ensured.was_created() {
            "created, with unique values"
        } else {
            "already there, with unique values"
        }
    );
    let inputs: Vec<NewRecord> = (0..3)
        .map(|i| {
            NewRecord::new()
                .property("hs_lead_name", format!("Setup lead {i} {run_id}"))
                .property(EXTERNAL_ID, format!("{run_id}-{i}"))
                .associate(
                    contact_id,
                    LeadAssociation::PrimaryContact.association_type(),
                )
        })
        .collect();
    let leads = client.leads();
    let first = leads.unique_by(EXTERNAL_ID).create(inputs.clone()).await?;
    let again = leads.unique_by(EXTERNAL_ID).create(inputs).await?;
    let mut ids = Vec::new();
    for (created, found) in first.outcomes.iter().zip(&again.outcomes) {
        let (UniqueOutcome::Created(record), UniqueOutcome::AlreadyExisted(same)) =
            (created, found)
        else {
            return Err(format!("expected created, then found: {created:?} / {found:?}").into());
        };
        if record.id != same.id {
            return Err(format!("lead {} was created twice ({})", record.id, same.id).into());
        }
        ids.push(record.id.clone());
    }
    println!(
        "unique_by: created {} leads, and found the same {} the second time",
        ids.len(),
        ids.len()
    );
    Ok(ids)
}

fn text_property(name: &str, label: &str) -> Result<ObjectTypePropertyCreate, String> {
    let property: Result<ObjectTypePropertyCreate, _> = ObjectTypePropertyCreate::builder()
        .name(name)
        .label(label)
        .type_(ObjectTypePropertyCreateType::String)
        .field_type("text")
        .try_into();
    property.map_err(|e| e.to_string())
}

/// `cars`: a required VIN and a model, associable with contacts.
fn cars_schema() -> Result<ObjectSchemaEgg, String> {
    let schema: Result<ObjectSchemaEgg, _> = ObjectSchemaEgg::builder()
        .name("cars")
        .labels(ObjectTypeDefinitionLabels {
            singular: Some("Car".into()),
            plural: Some("Cars".into()),
        })
        .properties(vec![
            text_property("vin", "VIN")?,
            text_property("model", "Model")?,
        ])
        .required_properties(vec!["vin".to_owned()])
        .primary_display_property(Some("vin".to_owned()))
        .associated_objects(vec!["CONTACT".to_owned()])
        .try_into();
    schema.map_err(|e| e.to_string())
}

/// Creates `cars` if the account lacks it, then writes cars through the typed handle.
async fn cars(client: &Client, run_id: &str) -> Result<Vec<String>, Box<dyn Error>> {
    let schemas = client.schemas();
    match schemas.type_id("cars").await {
        Ok(id) => println!("cars: already defined, as {id}"),
        Err(CrmError::UnknownObjectType { .. }) => {
            let created = schemas.create(cars_schema()?).await?;
            println!("cars: created, as {}", created.type_id().unwrap_or("?"));
        }
        Err(other) => return Err(other.into()),
    }
    // The id comes from the account; the rules from `Car`.
    let cars = client.objects_named::<Car>("cars").await?;
    println!("cars are addressed as {}", cars.object_type());
    match cars
        .create(NewRecord::new().property("vin", "TOO-SHORT"))
        .await
    {
        Err(CrmError::Validation(e)) => println!("refused before sending: {e}"),
        other => return Err(format!("a short VIN was not refused: {other:?}").into()),
    }
    let vins = ["1HGCM82633A004352", "JH4KA8260MC000000"];
    let created = cars
        .create_many(
            vins.iter()
                .map(|vin| {
                    NewRecord::new()
                        .property("vin", *vin)
                        .property("model", format!("Setup {run_id}"))
                })
                .collect(),
        )
        .await?
        .into_result()?;
    println!("created {} cars", created.len());
    Ok(created.into_iter().map(|car| car.id.clone()).collect())
}

/// Moves a lead through every stage of its pipeline, reading it back each time.
async fn move_through_pipeline(client: &Client, lead_id: &str) -> Result<(), Box<dyn Error>> {
    let leads = client.leads().with_account_checks(true);
    let pipelines = client.pipelines().of("leads").await?;
    let pipeline = pipelines
        .default_pipeline()
        .ok_or("the account has no lead pipeline")?;
    for stage in pipelines.stages(&pipeline.id) {
        leads
            .update(
                RecordUpdate::new(lead_id)
                    .property("hs_pipeline", &pipeline.id)
                    .property("hs_pipeline_stage", &stage.id),
            )
            .await?;
        let read = leads
            .get_with(
                lead_id,
                &ReadOptions::new().properties(["hs_pipeline_stage"]),
            )
            .await?;
        let now = read.property("hs_pipeline_stage").unwrap_or("?");
        if now != stage.id {
            return Err(format!("lead {lead_id} is in stage {now}, not {}", stage.id).into());
        }
        println!(
            "lead {lead_id}: {} ({})",
            stage.label.as_deref().unwrap_or("unlabelled"),
            stage.id
        );
    }
    match leads
        .update(RecordUpdate::new(lead_id).property("hs_pipeline_stage", "no-such-stage"))
        .await
    {
        Err(CrmError::Validation(e)) => println!("refused before sending: {e}"),
        other => return Err(format!("an unknown stage was not refused: {other:?}").into()),
    }
    Ok(())
}
