//! Property writes: create, update, archive and batch create. Every write forgets the object
//! type's cached definitions, so the next [`Properties::definitions`] reads them again.

use hubspot_crm_api::properties::types::{PropertyCreate, PropertyUpdate};

use super::Properties;
use super::bodies::{
    BatchCreateBody, CreateBody, UpdateBody, check_dated_create, check_dated_update,
};
use super::check;
use crate::error::{ApiError, Result};
use crate::model::PropertyDefinition;
use crate::route::{family, on_version};
use crate::validate::{check_object_type, path_segment, property_name};
use crate::version::ApiVersion;

/// HubSpot's answer to a batch create of properties.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PropertyBatch {
    /// The properties created, as HubSpot answered them.
    pub created: Vec<PropertyDefinition>,
    /// The failures HubSpot reported (a 207), each read leniently.
    pub errors: Vec<ApiError>,
    /// Names of the inputs absent from `created`, in input order: refused, or not confirmed
    /// by HubSpot's answer.
    pub not_created: Vec<String>,
}

impl PropertyBatch {
    /// Whether every input was created.
    pub fn is_complete(&self) -> bool {
        self.not_created.is_empty()
    }
}

impl Properties {
    /// Creates a property (`POST /crm/v3/properties/{objectType}`, or its 2026-09 path).
    ///
    /// Checked before sending: the name is a new internal name (lowercase letters, digits
    /// and `_`, starting with a letter, at most 100 characters), the label and group are not
    /// blank, the field type is one HubSpot takes with the type, and an enumeration has
    /// options, each with a value and a label, none twice. On 2026-09, v3's display hints
    /// and currency fields are refused (that version has none); an option without
    /// `displayOrder` is sent with its place in the list. A property of that name already
    /// there is an [`Error::Api`](crate::Error::Api) 409 (see [`Self::ensure`]).
    pub async fn create(
        &self,
        object_type: &str,
        property: PropertyCreate,
    ) -> Result<PropertyDefinition> {
        self.check_create(object_type, &property)?;
        let result = self.send_create(object_type, property).await;
        self.forget(object_type);
        result
    }

    /// The checks of [`Self::create`].
    pub(super) fn check_create(&self, object_type: &str, property: &PropertyCreate) -> Result<()> {
        check_object_type("objectType", object_type)?;
        check::create(property)?;
        if self.client.api_version() == ApiVersion::V2026_09 {
            check_dated_create(property)?;
        }
        Ok(())
    }

    /// Sends a create that passed [`Self::check_create`].
    pub(super) async fn send_create(
        &self,
        object_type: &str,
        property: PropertyCreate,
    ) -> Result<PropertyDefinition> {
        let name = property.name.clone();
        let (call, api) = self.client.start::<family::Properties>().await?;
        on_version!(api, |api| {
            let result = api
                .create()
                .object_type(object_type)
                .body(CreateBody(property))
                .send()
                .await;
            call.finish(result, || vec![name])
                .map(PropertyDefinition::from)
        })
    }

    /// Changes a property (`PATCH /crm/v3/properties/{objectType}/{propertyName}`, or its
    /// 2026-09 path); the fields set overwrite the property's, `options` as a whole list.
    /// Refused before sending: an update that sets nothing, a blank label, a field type
    /// that does not go with the type given, options as [`Self::create`] checks them, and on
    /// 2026-09 v3's display hints and currency fields.
    pub async fn update(
        &self,
        object_type: &str,
        name: &str,
        update: PropertyUpdate,
    ) -> Result<PropertyDefinition> {
        check_object_type("objectType", object_type)?;
        check_property_path(name)?;
        check::update(&update)?;
        if self.client.api_version() == ApiVersion::V2026_09 {
            check_dated_update(&update)?;
        }
        let (call, api) = self.client.start::<family::Properties>().await?;
        let result = on_version!(api, |api| {
            let result = api
                .update()
                .object_type(object_type)
                .property_name(name)
                .body(UpdateBody(update))
                .send()
                .await;
            call.finish(result, Vec::new).map(PropertyDefinition::from)
        });
        self.forget(object_type);
        result
    }

    /// Archives a property (`DELETE /crm/v3/properties/{objectType}/{propertyName}`, or its
    /// 2026-09 path): HubSpot moves it to the recycling bin, and lists it only when asked
    /// for archived properties.
    pub async fn archive(&self, object_type: &str, name: &str) -> Result<()> {
        check_object_type("objectType", object_type)?;
        check_property_path(name)?;
        let (call, api) = self.client.start::<family::Properties>().await?;
        let result = on_version!(api, |api| {
            let result = api
                .archive()
                .object_type(object_type)
                .property_name(name)
                .send()
                .await;
            call.finish(result, Vec::new)
        });
        self.forget(object_type);
        result
    }

    /// Creates several properties in one request (`POST
    /// /crm/v3/properties/{objectType}/batch/create`, or its 2026-09 path). HubSpot
    /// documents no batch limit for properties, so the list goes as one request.
    ///
    /// The whole list is checked first, each property as [`Self::create`] checks it and no
    /// name twice; an error names the item. HubSpot may create some and refuse others (a
    /// 207): the answer lists both.
    pub async fn create_many(
        &self,
        object_type: &str,
        properties: Vec<PropertyCreate>,
    ) -> Result<PropertyBatch> {
        check_object_type("objectType", object_type)?;
        check::create_many(&properties)?;
        if self.client.api_version() == ApiVersion::V2026_09 {
            for (i, property) in properties.iter().enumerate() {
                check_dated_create(property).map_err(|e| e.at_item(i))?;
            }
        }
        let names: Vec<String> = properties.iter().map(|p| p.name.clone()).collect();
        let result = self
            .send_batch_create(object_type, properties, &names)
            .await;
        self.forget(object_type);
        result
    }

    async fn send_batch_create(
        &self,
        object_type: &str,
        properties: Vec<PropertyCreate>,
        names: &[String],
    ) -> Result<PropertyBatch> {
        let (call, api) = self.client.start::<family::Properties>().await?;
        let (created, errors): (Vec<PropertyDefinition>, _) = on_version!(api, |api| {
            let result = api
                .batch_create()
                .object_type(object_type)
                .body(BatchCreateBody(properties))
                .send()
                .await;
            let answer = call.finish(result, || names.to_vec())?;
            let created = answer.results.into_iter().map(Into::into).collect();
            (created, answer.errors)
        });
        let not_created = names
            .iter()
            .filter(|name| !created.iter().any(|p| &p.name == *name))
            .cloned()
            .collect();
        Ok(PropertyBatch {
            created,
            errors: errors
                .iter()
                .map(|e| ApiError::from_json(call.status(), e))
                .collect(),
            not_created,
        })
    }
}

/// Checks the name of an existing property that goes into a path.
fn check_property_path(name: &str) -> Result<()> {
    path_segment("propertyName", name)?;
    property_name("propertyName", name)?;
    Ok(())
}
