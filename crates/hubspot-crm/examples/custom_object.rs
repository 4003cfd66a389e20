//! A custom object through the client's generic layer: a `CrmObject` impl of a few lines
//! (here, for pets), then create, validate, update, read, associate with a contact, search,
//! stream and archive its records.
//!
//! ```sh
//! cargo run -p hubspot-crm --example custom_object
//! HUBSPOT_API_VERSION=2026-09 cargo run -p hubspot-crm --example custom_object
//! HUBSPOT_ACCESS_TOKEN=pat-... cargo run -p hubspot-crm --example custom_object
//! ```
//!
//! On the sandbox, `pets` is registered as custom object type `2-1234`. Against HubSpot the
//! account needs a custom object named `pets` with text properties `name` and `species`,
//! associable with contacts; the example creates a contact and a few pets named with a run id,
//! and archives them at the end.

mod common;

use std::error::Error;
use std::time::Duration;

use futures::TryStreamExt;
use hubspot_crm::{
    CrmObject, Error as CrmError, Filter, FilterGroup, NewRecord, Operator, ReadOptions,
    RecordUpdate, SearchRequest, StreamOptions, ValidationError,
};
use hubspot_sandbox::SandboxConfig;

/// Pets, a custom object. Requests name it `p_pets`, a form HubSpot takes in every account
/// that defines `pets`, where the type id (`2-…`) differs from account to account.
struct Pet;

impl CrmObject for Pet {
    const OBJECT_TYPE: &'static str = "p_pets";
    /// The sandbox's id for it; requests use [`Self::OBJECT_TYPE`].
    const OBJECT_TYPE_ID: &'static str = "2-1234";
    const DEFAULT_PROPERTIES: &'static [&'static str] = &["name", "species"];

    // Checked before anything is sent, in bulk creates too.
    fn validate_new(input: &NewRecord) -> Result<(), ValidationError> {
        match input.properties.get("name") {
            Some(name) if !name.trim().is_empty() => Ok(()),
            _ => Err(ValidationError::new("name", "every pet needs a name")),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let config = SandboxConfig::new().custom_object_type(Pet::OBJECT_TYPE_ID, "pets");
    let (client, sandbox) = common::connect(config).await?;
    let run_id = common::run_id();
    let pets = client.objects::<Pet>();
    let pet = |name: &str, species: &str| {
        NewRecord::new()
            .property("name", format!("{name} {run_id}"))
            .property("species", species)
    };

    // One create, then a bulk create: every input is checked first, 100 to a request.
    let rex = pets.create(pet("Rex", "dog")).await?;
    let more = pets
        .create_many(vec![
            pet("Tom", "cat"),
            pet("Felix", "cat"),
            pet("Nibbles", "hamster"),
        ])
        .await?
        .into_result()?;
    println!(
        "created {} pets of type {}",
        1 + more.len(),
        pets.object_type()
    );
    match pets
        .create(NewRecord::new().property("species", "cat"))
        .await
    {
        Err(CrmError::Validation(e)) => println!("refused before sending: {e}"),
        other => return Err(format!("a nameless pet was not refused: {other:?}").into()),
    }

    // Update, then associate with a contact (HubSpot's default type for the pair) and read it
    // all back.
    pets.update(RecordUpdate::new(&rex.id).property("species", "wolf"))
        .await?;
    let owner = client
        .contacts()
        .create(
            NewRecord::new()
                .property("email", format!("pets-{run_id}@example.com"))
                .property("firstname", "Ada"),
        )
        .await?;
    pets.associate(&rex.id, "contacts", &owner.id).await?;
    let read = ReadOptions::new()
        .properties(["name", "species"])
        .associations(["contacts"]);
    let back = pets.get_with(&rex.id, &read).await?;
    let owners: Vec<&str> = back.associated_ids("contacts").collect();
    println!(
        "pet {}: {:?}, species {:?}, contacts {owners:?}",
        back.id,
        back.property("name"),
        back.property("species")
    );
    if owners != [owner.id.as_str()] || back.property("species") != Some("wolf") {
        return Err("the pet did not read back as written".into());
    }

    // Search: this run's cats. HubSpot indexes new records within seconds, so against it
    // this tries again until both are found.
    let cats = SearchRequest::new()
        .filter_group(FilterGroup::new([
            Filter::eq("species", "cat"),
            Filter::compare("name", Operator::ContainsToken, format!("*{run_id}*")),
        ]))
        .properties(["name"]);
    let mut found = Vec::new();
    for attempt in 1..=10 {
        found = pets.search_stream(cats.clone(), None).try_collect().await?;
        if found.len() >= 2 || sandbox.is_some() || attempt == 10 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let names: Vec<&str> = found.iter().filter_map(|p| p.property("name")).collect();
    println!("search: {} cats {names:?}", found.len());

    // Stream every pet (page by page, never all in memory), counting this run's.
    let mut all = pets.list_stream(ReadOptions::new(), StreamOptions::new());
    let (mut listed, mut ours) = (0, 0);
    while let Some(pet) = all.try_next().await? {
        listed += 1;
        ours += usize::from(pet.property("name").is_some_and(|n| n.ends_with(&run_id)));
    }

    let ids = std::iter::once(rex.id.clone()).chain(more.iter().map(|p| p.id.clone()));
    let archived = pets.archive_many(ids).await?;
    client.contacts().archive(&owner.id).await?;
    println!(
        "custom object {}: 4 created, 1 updated and associated, {} found by search, {ours} of {listed} streamed were this run's; archived {} and the contact",
        pets.object_type(),
        found.len(),
        archived.succeeded().count()
    );
    if found.len() != 2 || ours != 4 {
        return Err(format!(
            "expected 2 cats found and 4 pets streamed, got {} and {ours}",
            found.len()
        )
        .into());
    }
    Ok(())
}
