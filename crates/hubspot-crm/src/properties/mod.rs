//! Property definitions (`/crm/v3/properties`, or `/crm/properties/2026-09`), cached per
//! client, and checks of values against them before a record is written; property and
//! group writes, and `ensure`.
//!
//! Dropdown options such as those of `hs_lead_type` or `hs_lead_label` differ per account:
//! they are read from HubSpot, never assumed.

mod bodies;
mod check;
mod ensure;
mod groups;
mod new_property;
mod writes;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use ensure::Ensured;
pub use groups::PropertyGroup;
pub use new_property::NewProperty;
pub use writes::PropertyBatch;

use crate::associations::object_type_key;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::model::{NewRecord, PropertyDefinition, PropertyDefinitions, RecordUpdate};
use crate::route::{family, on_version};
use crate::validate::{check_object_type, path_segment, property_name};

impl Client {
    /// Property definitions, and checks of values against them.
    pub fn properties(&self) -> Properties {
        Properties::new(self.clone())
    }
}

/// HubSpot's properties API: definitions of an object type's properties, checks of values
/// against them, and writes of properties and property groups (each write makes
/// [`Self::definitions`] read the type's definitions again). Get one with
/// [`Client::properties`].
///
/// Dropdown options (such as those of `hs_lead_type` and `hs_lead_label`) differ per account,
/// so they are read from HubSpot here rather than assumed.
///
/// ```no_run
/// # async fn run() -> hubspot_crm::Result<()> {
/// use std::collections::BTreeMap;
///
/// let client = hubspot_crm::Client::from_env()?;
/// let properties = client.properties();
/// let definitions = properties.definitions("leads").await?;
/// if let Some(label) = definitions.get("hs_lead_label") {
///     let values: Vec<&str> = label.options.iter().map(|o| o.value.as_str()).collect();
///     println!("lead labels: {values:?}");
/// }
/// let values = BTreeMap::from([("hs_lead_label".to_owned(), "WARM".to_owned())]);
/// properties.validate_values("leads", &values).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Properties {
    client: Client,
}

impl Properties {
    /// The properties API through `client`.
    pub fn new(client: Client) -> Self {
        Properties { client }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads every property definition of an object type from HubSpot, in HubSpot's order
    /// (`GET /crm/v3/properties/{objectType}`, or its 2026-09 path), and caches them for [`Self::definitions`].
    pub async fn list(&self, object_type: &str) -> Result<Vec<PropertyDefinition>> {
        check_object_type("objectType", object_type)?;
        let list = self.fetch(object_type).await?;
        self.store(object_type, list.clone());
        Ok(list)
    }

    /// Reads one property definition (`GET /crm/v3/properties/{objectType}/{propertyName}`, or its 2026-09 path).
    /// An unknown property is an [`Error::Api`] with status 404; a malformed name (blank, or
    /// with characters other than letters, digits and `_`) is rejected before sending.
    pub async fn get(&self, object_type: &str, name: &str) -> Result<PropertyDefinition> {
        check_object_type("objectType", object_type)?;
        path_segment("propertyName", name)?;
        property_name("propertyName", name)?;
        let (call, api) = self.client.start::<family::Properties>().await?;
        on_version!(api, |api| {
            let result = api
                .get()
                .object_type(object_type)
                .property_name(name)
                .send()
                .await;
            call.finish(result, Vec::new).map(PropertyDefinition::from)
        })
    }

    /// The property definitions of an object type, read from HubSpot once per client (clones
    /// share them) and read again once they are 10 minutes old; a failed read is not kept.
    /// Call [`Self::refresh`] after properties or options change.
    pub async fn definitions(&self, object_type: &str) -> Result<Arc<PropertyDefinitions>> {
        check_object_type("objectType", object_type)?;
        self.client
            .caches()
            .definitions
            .get_or_try_fetch(object_type_key(object_type), || async {
                let list = self.fetch(object_type).await?;
                Ok::<_, Error>(Arc::new(PropertyDefinitions::new(object_type, list)))
            })
            .await
    }

    /// Reads an object type's definitions from HubSpot again and caches them.
    pub async fn refresh(&self, object_type: &str) -> Result<Arc<PropertyDefinitions>> {
        check_object_type("objectType", object_type)?;
        let list = self.fetch(object_type).await?;
        // Other spellings of the type would keep the old copy.
        self.client.caches().definitions.clear();
        Ok(self.store(object_type, list))
    }

    /// Drops the cached definitions after a write, so the next [`Self::definitions`] reads
    /// them again: every type's, since one type may be cached under several spellings
    /// (`deals`, `0-3`).
    fn forget(&self, object_type: &str) {
        let _ = object_type;
        self.client.caches().definitions.clear();
    }

    fn store(&self, object_type: &str, list: Vec<PropertyDefinition>) -> Arc<PropertyDefinitions> {
        let definitions = Arc::new(PropertyDefinitions::new(object_type, list));
        self.client
            .caches()
            .definitions
            .store(object_type_key(object_type), definitions.clone());
        definitions
    }

    async fn fetch(&self, object_type: &str) -> Result<Vec<PropertyDefinition>> {
        let (call, api) = self.client.start::<family::Properties>().await?;
        on_version!(api, |api| {
            let result = api.list().object_type(object_type).send().await;
            let list = call.finish(result, Vec::new)?;
            Ok(list.results.into_iter().map(Into::into).collect())
        })
    }

    /// Checks values to write against the (cached) definitions of `object_type`: each
    /// property exists, is not read-only, and an enumeration value is one of its options
    /// (`;`-separated for multi-selects). Fails with [`Error::Validation`] naming the
    /// property and, for options, listing the allowed values.
    pub async fn validate_values(
        &self,
        object_type: &str,
        values: &BTreeMap<String, String>,
    ) -> Result<()> {
        let definitions = self.definitions(object_type).await?;
        definitions.check_values(values).map_err(Error::from)
    }

    /// Checks the properties of a record to create, as [`Self::validate_values`] does.
    pub async fn check_new_record(&self, object_type: &str, record: &NewRecord) -> Result<()> {
        self.validate_values(object_type, &record.properties).await
    }

    /// Checks the properties of an update, as [`Self::validate_values`] does.
    pub async fn check_update(&self, object_type: &str, update: &RecordUpdate) -> Result<()> {
        self.validate_values(object_type, &update.properties).await
    }
}
