//! Custom object schemas (`/crm-object-schemas/v3/schemas`, or
//! `/crm-object-schemas/2026-09/schemas`): define custom object types and their associations,
//! and find the type id (`2-N`) an account gave a custom object by its name, cached per
//! client.
//!
//! Each account numbers its custom object types itself, so the id of `cars` in a test account
//! is not its id in production: look it up by name ([`Schemas::type_id`]) and address records
//! through [`Client::objects_named`](crate::Client::objects_named).

mod answers;
mod checks;
mod index;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hubspot_crm_api::schemas_2026_09::types as dated;

pub use answers::{CustomObjectDefinition, CustomObjectSchema};
pub use hubspot_crm_api::schemas::types::{ObjectSchemaEgg, ObjectTypeDefinitionPatch};
pub use hubspot_crm_api::shared::{
    AssociationDefinition, AssociationDefinitionEgg, ObjectTypeDefinitionLabels,
    ObjectTypePropertyCreate, ObjectTypePropertyCreateType,
};
pub(crate) use index::SchemaIndex;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::route::{Versioned, family, on_version};
use crate::validate::{check_object_type, is_object_type_id, path_segment};

impl Client {
    /// The account's custom object schemas, and custom object type ids by name.
    pub fn schemas(&self) -> Schemas {
        Schemas::new(self.clone())
    }
}

/// HubSpot's schemas API: the account's custom object types, their properties and
/// associations, and the type id (`2-N`) of each by name. Get one with [`Client::schemas`].
///
/// Path values are a schema's type id (`2-1234567`) or fully qualified name
/// (`p1234567_cars`), as HubSpot takes them; [`Self::type_id`] finds the id by name.
///
/// ```no_run
/// # async fn run() -> hubspot_crm::Result<()> {
/// use hubspot_crm::{ObjectSchemaEgg, ObjectTypeDefinitionLabels, ObjectTypePropertyCreate, ObjectTypePropertyCreateType};
///
/// let client = hubspot_crm::Client::from_env()?;
/// let vin: ObjectTypePropertyCreate = ObjectTypePropertyCreate::builder()
///     .name("vin")
///     .label("VIN")
///     .type_(ObjectTypePropertyCreateType::String)
///     .field_type("text")
///     .has_unique_value(Some(true))
///     .try_into()
///     .expect("every required field is given");
/// let cars: ObjectSchemaEgg = ObjectSchemaEgg::builder()
///     .name("cars")
///     .labels(ObjectTypeDefinitionLabels {
///         singular: Some("Car".into()),
///         plural: Some("Cars".into()),
///     })
///     .properties(vec![vin])
///     .required_properties(vec!["vin".to_owned()])
///     .primary_display_property(Some("vin".to_owned()))
///     .associated_objects(vec!["CONTACT".to_owned()])
///     .try_into()
///     .expect("every required field is given");
/// let schema = client.schemas().create(cars).await?;
/// println!("cars are {:?}", schema.type_id());
/// // Anywhere else, in any account:
/// let id = client.schemas().type_id("cars").await?;
/// # let _ = id; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Schemas {
    client: Client,
}

impl Schemas {
    /// The schemas API through `client`.
    pub fn new(client: Client) -> Self {
        Schemas { client }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads every custom object schema of the account, with its properties and
    /// associations (`GET /crm-object-schemas/v3/schemas`, or its 2026-09 path), and caches
    /// their names for [`Self::type_id`].
    pub async fn list(&self) -> Result<Vec<CustomObjectSchema>> {
        let list = self.fetch().await?;
        self.store_index(SchemaIndex::of(&list));
        Ok(list)
    }

    /// Reads one schema by type id or fully qualified name
    /// (`GET /crm-object-schemas/v3/schemas/{objectType}`, or its 2026-09 path). An unknown one
    /// is an [`Error::Api`] with status 404.
    pub async fn get(&self, object_type: &str) -> Result<CustomObjectSchema> {
        check_object_type("objectType", object_type)?;
        let (call, api) = self.client.start::<family::Schemas>().await?;
        on_version!(api, |api| {
            let result = api.get().object_type(object_type).send().await;
            call.finish(result, Vec::new).map(CustomObjectSchema::from)
        })
    }

    /// Creates a custom object type (`POST /crm-object-schemas/v3/schemas`, or its 2026-09
    /// path); HubSpot answers with its type id. Checked first: the name (letters, digits and
    /// `_`, starting with a letter), both labels, each property (a valid name given once, a
    /// label, a field type, an enumeration's options), the properties the schema names as
    /// required, searchable or displayed being among its own, and the associated object
    /// types. On 2026-09, whose spec has no `shouldCreateSameObjectAssociation`, setting it
    /// is refused rather than dropped.
    pub async fn create(&self, schema: ObjectSchemaEgg) -> Result<CustomObjectSchema> {
        checks::new_schema(&schema, self.client.api_version())?;
        let name = format!("schema {}", schema.name);
        let (call, api) = self.client.start::<family::Schemas>().await?;
        let created = match api {
            Versioned::V3(api) => {
                let result = api.create().body(schema).send().await;
                call.finish(result, || vec![name])
                    .map(CustomObjectSchema::from)
            }
            Versioned::V2026_09(api) => {
                let result = api.create().body(dated_schema(schema)).send().await;
                call.finish(result, || vec![name])
                    .map(CustomObjectSchema::from)
            }
        }?;
        if let Some(index) = self.cached_index() {
            self.store_index(index.with(&created));
        }
        Ok(created)
    }

    /// Changes a schema's labels, required, searchable or displayed properties, or
    /// description (`PATCH /crm-object-schemas/v3/schemas/{objectType}`, or its 2026-09 path).
    /// An update that changes nothing, blank labels and malformed property names are refused
    /// before sending.
    pub async fn update(
        &self,
        object_type: &str,
        patch: ObjectTypeDefinitionPatch,
    ) -> Result<CustomObjectDefinition> {
        check_object_type("objectType", object_type)?;
        checks::patch(&patch)?;
        let (call, api) = self.client.start::<family::Schemas>().await?;
        match api {
            Versioned::V3(api) => {
                let result = api.update().object_type(object_type).body(patch).send();
                call.finish(result.await, Vec::new).map(Into::into)
            }
            Versioned::V2026_09(api) => {
                let body = dated_patch(patch);
                let result = api.update().object_type(object_type).body(body).send();
                call.finish(result.await, Vec::new).map(Into::into)
            }
        }
    }

    /// Deletes a custom object type (`DELETE /crm-object-schemas/v3/schemas/{objectType}`, or
    /// its 2026-09 path). HubSpot refuses while records of the type exist: archive them
    /// first. Its names leave the cache of [`Self::type_id`].
    pub async fn archive(&self, object_type: &str) -> Result<()> {
        check_object_type("objectType", object_type)?;
        let (call, api) = self.client.start::<family::Schemas>().await?;
        on_version!(api, |api| {
            let result = api.archive().object_type(object_type).send().await;
            call.finish(result, Vec::new)
        })?;
        if let Some(index) = self.cached_index() {
            self.store_index(index.without(object_type));
        }
        Ok(())
    }

    /// Defines an association between the custom object type and another type
    /// (`POST /crm-object-schemas/v3/schemas/{objectType}/associations`, or its 2026-09 path);
    /// HubSpot answers with the definition's id.
    pub async fn create_association(
        &self,
        object_type: &str,
        association: AssociationDefinitionEgg,
    ) -> Result<AssociationDefinition> {
        check_object_type("objectType", object_type)?;
        checks::association(&association)?;
        let name = format!(
            "association {} to {}",
            association.from_object_type_id, association.to_object_type_id
        );
        let (call, api) = self.client.start::<family::Schemas>().await?;
        on_version!(api, |api| {
            let result = api
                .create_association()
                .object_type(object_type)
                .body(association)
                .send()
                .await;
            call.finish(result, || vec![name])
        })
    }

    /// Removes an association definition by its id
    /// (`DELETE /crm-object-schemas/v3/schemas/{objectType}/associations/{associationIdentifier}`,
    /// or its 2026-09 path).
    pub async fn archive_association(&self, object_type: &str, association_id: &str) -> Result<()> {
        check_object_type("objectType", object_type)?;
        path_segment("associationIdentifier", association_id)?;
        let (call, api) = self.client.start::<family::Schemas>().await?;
        on_version!(api, |api| {
            let result = api
                .archive_association()
                .object_type(object_type)
                .association_identifier(association_id)
                .send()
                .await;
            call.finish(result, Vec::new)
        })
    }

    /// The type id of the custom object type `name` stands for: a schema's `name` (`cars`,
    /// any case), `p_<name>`, its fully qualified name (`p1234567_cars`), or a type id
    /// (`2-1234567`, answered as it is, nothing sent).
    ///
    /// The names come from one [`Self::list`], cached per client (clones share it) for 10
    /// minutes; [`Self::create`] and [`Self::archive`] keep the cache up to date. A name the
    /// cached list does not know makes the list be read once more (the type may be newer
    /// than the cache) before failing with [`Error::UnknownObjectType`]; a list read by this
    /// very call is not read twice.
    pub async fn type_id(&self, name: &str) -> Result<String> {
        check_object_type("name", name)?;
        if is_object_type_id(name) {
            return Ok(name.to_owned());
        }
        let fetched = AtomicBool::new(false);
        let index = self
            .client
            .caches()
            .schemas
            .get_or_try_fetch((), || async {
                fetched.store(true, Ordering::Relaxed);
                Ok::<_, Error>(Arc::new(SchemaIndex::of(&self.fetch().await?)))
            })
            .await?;
        if let Some(id) = index.find(name) {
            return Ok(id.to_owned());
        }
        if !fetched.load(Ordering::Relaxed) {
            let index = SchemaIndex::of(&self.list().await?);
            if let Some(id) = index.find(name) {
                return Ok(id.to_owned());
            }
        }
        Err(Error::UnknownObjectType {
            name: name.to_owned(),
        })
    }

    /// Reads the list without touching the cache (the cache's own fetch).
    async fn fetch(&self) -> Result<Vec<CustomObjectSchema>> {
        let (call, api) = self.client.start::<family::Schemas>().await?;
        on_version!(api, |api| {
            let result = api.list().send().await;
            let answer = call.finish(result, Vec::new)?;
            Ok(answer.results.into_iter().map(Into::into).collect())
        })
    }

    fn cached_index(&self) -> Option<Arc<SchemaIndex>> {
        self.client.caches().schemas.peek(&())
    }

    fn store_index(&self, index: SchemaIndex) {
        self.client.caches().schemas.store((), Arc::new(index));
    }
}

/// A new schema as 2026-09 takes it; `shouldCreateSameObjectAssociation`, which 2026-09 does
/// not have, was refused by the checks if set.
fn dated_schema(s: ObjectSchemaEgg) -> dated::ObjectSchemaEgg {
    dated::ObjectSchemaEgg {
        allows_sensitive_properties: s.allows_sensitive_properties.unwrap_or(false),
        associated_objects: s.associated_objects,
        description: s.description,
        labels: s.labels,
        name: s.name,
        primary_display_property: s.primary_display_property,
        properties: s.properties,
        required_properties: s.required_properties,
        searchable_properties: s.searchable_properties,
        secondary_display_properties: s.secondary_display_properties,
    }
}

/// An update as 2026-09 takes it (its `clearDescription` is required: false unless set).
fn dated_patch(p: ObjectTypeDefinitionPatch) -> dated::ObjectTypeDefinitionPatch {
    dated::ObjectTypeDefinitionPatch {
        allows_sensitive_properties: p.allows_sensitive_properties,
        clear_description: p.clear_description.unwrap_or(false),
        description: p.description,
        labels: p.labels,
        primary_display_property: p.primary_display_property,
        required_properties: p.required_properties,
        restorable: p.restorable,
        searchable_properties: p.searchable_properties,
        secondary_display_properties: p.secondary_display_properties,
    }
}
