//! Property definitions (`/crm/v3/properties`), cached per client, and checks of values
//! against them before a record is written.
//!
//! Dropdown options such as those of `hs_lead_type` or `hs_lead_label` differ per account:
//! they are read from HubSpot, never assumed.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use hubspot_crm_api::properties as api;
use tokio::sync::OnceCell;

use crate::associations::{check_object_type, decode};
use crate::client::Client;
use crate::error::{Error, Result, ValidationError};
use crate::model::{NewRecord, RecordUpdate};
use crate::transport::Call;

/// One option of an enumeration property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyOption {
    /// What users see.
    pub label: String,
    /// What is stored and sent.
    pub value: String,
    /// Hidden from forms (still a valid value).
    pub hidden: bool,
    /// Position in lists, when set.
    pub display_order: Option<i32>,
}

/// A property of an object type, as HubSpot defines it in the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyDefinition {
    /// Internal name, e.g. `hs_lead_label`.
    pub name: String,
    /// Display name.
    pub label: String,
    /// Data type: `string`, `number`, `date`, `datetime`, `enumeration`, `bool`, ...
    pub property_type: String,
    /// Field type: `text`, `select`, `radio`, `checkbox`, `booleancheckbox`, ...
    pub field_type: String,
    /// The property group.
    pub group_name: String,
    /// Description, empty when none.
    pub description: String,
    /// Options of an enumeration property.
    pub options: Vec<PropertyOption>,
    /// Options come from elsewhere (e.g. owners, pipeline stages), so `options` may not
    /// list them all.
    pub external_options: bool,
    /// Hidden from HubSpot's UI.
    pub hidden: bool,
    /// Computed by HubSpot.
    pub calculated: bool,
    /// Values are unique across records (usable as `idProperty`).
    pub has_unique_value: bool,
    /// Defined by HubSpot rather than the account.
    pub hubspot_defined: bool,
    /// Its value cannot be written: `modificationMetadata.readOnlyValue` or calculated.
    pub read_only: bool,
}

impl PropertyDefinition {
    /// An enumeration whose values must be among `options`.
    pub fn has_fixed_options(&self) -> bool {
        self.property_type == "enumeration" && !self.external_options && !self.options.is_empty()
    }

    /// A multi-select (checkbox) enumeration: values are `;`-separated.
    pub fn is_multi_select(&self) -> bool {
        self.property_type == "enumeration" && self.field_type == "checkbox"
    }

    /// Checks a value to write: the property is writable and, for an enumeration with fixed
    /// options, the value (each `;`-separated value of a multi-select) is an option's value.
    /// An empty value clears the property and is always accepted on a writable property.
    pub fn check_value(&self, value: &str) -> std::result::Result<(), ValidationError> {
        if self.read_only {
            return Err(ValidationError::new(
                &self.name,
                if self.calculated {
                    "is calculated by HubSpot and cannot be written"
                } else {
                    "is read-only and cannot be written"
                },
            ));
        }
        if value.is_empty() || !self.has_fixed_options() {
            return Ok(());
        }
        let values: Vec<&str> = if self.is_multi_select() {
            value.split(';').filter(|v| !v.is_empty()).collect()
        } else {
            vec![value]
        };
        for value in values {
            if self.options.iter().any(|o| o.value == value) {
                continue;
            }
            let allowed: Vec<String> = self
                .options
                .iter()
                .map(|o| format!("`{}`", o.value))
                .collect();
            let hint = match self.options.iter().find(|o| o.label == value) {
                Some(option) => format!(" (`{value}` is the label of `{}`)", option.value),
                None => String::new(),
            };
            return Err(ValidationError::new(
                &self.name,
                format!(
                    "`{value}` is not an option{hint}; allowed values: {}",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

/// The property definitions of one object type, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyDefinitions {
    object_type: String,
    by_name: BTreeMap<String, PropertyDefinition>,
}

impl PropertyDefinitions {
    /// Definitions of `object_type`, e.g. from [`Properties::list`].
    pub fn new(
        object_type: impl Into<String>,
        definitions: impl IntoIterator<Item = PropertyDefinition>,
    ) -> Self {
        PropertyDefinitions {
            object_type: object_type.into(),
            by_name: definitions
                .into_iter()
                .map(|d| (d.name.clone(), d))
                .collect(),
        }
    }

    /// The object type they belong to.
    pub fn object_type(&self) -> &str {
        &self.object_type
    }

    /// The definition of a property.
    pub fn get(&self, name: &str) -> Option<&PropertyDefinition> {
        self.by_name.get(name)
    }

    /// All definitions, by name.
    pub fn iter(&self) -> impl Iterator<Item = &PropertyDefinition> {
        self.by_name.values()
    }

    /// How many properties there are.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Checks values to write: every property exists, is writable, and enumeration values
    /// are among its options. The error names the property (the first at fault, by name).
    ///
    /// For a batch, call it per input and attribute the error with
    /// [`ValidationError::at_item`].
    pub fn check_values(
        &self,
        values: &BTreeMap<String, String>,
    ) -> std::result::Result<(), ValidationError> {
        for (name, value) in values {
            match self.get(name) {
                Some(definition) => definition.check_value(value)?,
                None => {
                    return Err(ValidationError::new(
                        name,
                        format!("is not a property of {}", self.object_type),
                    ));
                }
            }
        }
        Ok(())
    }
}

type DefinitionSlot = Arc<OnceCell<Arc<PropertyDefinitions>>>;

/// Property definitions per object type, shared by a client and its clones (accounts differ,
/// so never by the process).
#[derive(Debug, Default)]
pub(crate) struct DefinitionCache {
    by_type: Mutex<HashMap<String, DefinitionSlot>>,
}

impl DefinitionCache {
    fn key(object_type: &str) -> String {
        object_type.trim().to_ascii_lowercase()
    }

    fn slot(&self, object_type: &str) -> DefinitionSlot {
        let mut by_type = self.by_type.lock().unwrap_or_else(|p| p.into_inner());
        by_type.entry(Self::key(object_type)).or_default().clone()
    }

    fn store(&self, object_type: &str, definitions: Arc<PropertyDefinitions>) {
        let mut by_type = self.by_type.lock().unwrap_or_else(|p| p.into_inner());
        by_type.insert(
            Self::key(object_type),
            Arc::new(OnceCell::from(definitions)),
        );
    }
}

/// HubSpot's properties API: definitions of an object type's properties, and checks of
/// values against them. Get one with [`Client::properties`].
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

async fn start(client: &Client) -> Result<(Arc<Call>, api::Client)> {
    client.start_call(api::Client::new_with_client).await
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
    /// (`GET /crm/v3/properties/{objectType}`), and caches them for [`Self::definitions`].
    pub async fn list(&self, object_type: &str) -> Result<Vec<PropertyDefinition>> {
        check_object_type("objectType", object_type)?;
        let list = self.fetch(object_type).await?;
        self.store(object_type, list.clone());
        Ok(list)
    }

    /// Reads one property definition (`GET /crm/v3/properties/{objectType}/{propertyName}`).
    /// An unknown property is an [`Error::Api`] with status 404.
    pub async fn get(&self, object_type: &str, name: &str) -> Result<PropertyDefinition> {
        check_object_type("objectType", object_type)?;
        if name.trim().is_empty() {
            return Err(Error::validation("propertyName", "must not be blank"));
        }
        let (call, api) = start(&self.client).await?;
        let result = api
            .get()
            .object_type(object_type)
            .property_name(name)
            .send()
            .await;
        let property: wire::Property = decode(&call, "properties.get", result)?;
        Ok(property.into_public())
    }

    /// The property definitions of an object type, read from HubSpot once per client (clones
    /// share them). Call [`Self::refresh`] after properties or options change.
    pub async fn definitions(&self, object_type: &str) -> Result<Arc<PropertyDefinitions>> {
        check_object_type("objectType", object_type)?;
        let slot = self.client.shared().definitions.slot(object_type);
        let definitions = slot
            .get_or_try_init(|| async {
                let list = self.fetch(object_type).await?;
                Ok::<_, Error>(Arc::new(PropertyDefinitions::new(object_type, list)))
            })
            .await?;
        Ok(definitions.clone())
    }

    /// Reads an object type's definitions from HubSpot again and caches them.
    pub async fn refresh(&self, object_type: &str) -> Result<Arc<PropertyDefinitions>> {
        check_object_type("objectType", object_type)?;
        let list = self.fetch(object_type).await?;
        Ok(self.store(object_type, list))
    }

    fn store(&self, object_type: &str, list: Vec<PropertyDefinition>) -> Arc<PropertyDefinitions> {
        let definitions = Arc::new(PropertyDefinitions::new(object_type, list));
        self.client
            .shared()
            .definitions
            .store(object_type, definitions.clone());
        definitions
    }

    async fn fetch(&self, object_type: &str) -> Result<Vec<PropertyDefinition>> {
        let (call, api) = start(&self.client).await?;
        let result = api.list().object_type(object_type).send().await;
        let list: wire::PropertyList = decode(&call, "properties.list", result)?;
        Ok(list
            .results
            .into_iter()
            .map(wire::Property::into_public)
            .collect())
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

/// Property definitions as HubSpot sends them, read leniently.
mod wire {
    use serde::Deserialize;

    use super::{PropertyDefinition, PropertyOption};

    #[derive(Deserialize)]
    pub(super) struct PropertyList {
        #[serde(default)]
        pub(super) results: Vec<Property>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Option {
        #[serde(default)]
        label: String,
        value: String,
        #[serde(default)]
        hidden: bool,
        #[serde(default)]
        display_order: std::option::Option<i32>,
    }

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    struct ModificationMetadata {
        #[serde(default)]
        read_only_value: bool,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Property {
        name: String,
        #[serde(default)]
        label: String,
        #[serde(default, rename = "type")]
        type_: String,
        #[serde(default)]
        field_type: String,
        #[serde(default)]
        group_name: String,
        #[serde(default)]
        description: std::option::Option<String>,
        #[serde(default)]
        options: Vec<Option>,
        #[serde(default)]
        external_options: std::option::Option<bool>,
        #[serde(default)]
        hidden: std::option::Option<bool>,
        #[serde(default)]
        calculated: std::option::Option<bool>,
        #[serde(default)]
        has_unique_value: std::option::Option<bool>,
        #[serde(default)]
        hubspot_defined: std::option::Option<bool>,
        #[serde(default)]
        modification_metadata: std::option::Option<ModificationMetadata>,
    }

    impl Property {
        pub(super) fn into_public(self) -> PropertyDefinition {
            let calculated = self.calculated.unwrap_or(false);
            let read_only_value = self
                .modification_metadata
                .unwrap_or_default()
                .read_only_value;
            PropertyDefinition {
                name: self.name,
                label: self.label,
                property_type: self.type_,
                field_type: self.field_type,
                group_name: self.group_name,
                description: self.description.unwrap_or_default(),
                options: self
                    .options
                    .into_iter()
                    .map(|o| PropertyOption {
                        label: o.label,
                        value: o.value,
                        hidden: o.hidden,
                        display_order: o.display_order,
                    })
                    .collect(),
                external_options: self.external_options.unwrap_or(false),
                hidden: self.hidden.unwrap_or(false),
                calculated,
                has_unique_value: self.has_unique_value.unwrap_or(false),
                hubspot_defined: self.hubspot_defined.unwrap_or(false),
                read_only: read_only_value || calculated,
            }
        }
    }
}
