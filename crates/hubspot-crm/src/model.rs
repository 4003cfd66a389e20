//! Records and request shapes shared by every CRM object type.

use std::collections::BTreeMap;

use hubspot_crm_api::properties::types::Property;
use hubspot_crm_api::shared::AssociationSpecWithLabel as LabelSpec;
use hubspot_crm_api::shared::{
    AssociatedId, AssociationSpec, AssociationSpecAssociationCategory, PublicAssociationsForObject,
    PublicObjectId, SimplePublicObject, SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate, SimplePublicObjectWithAssociations,
    SimplePublicUpsertObject,
};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ValidationError};

/// The record id property search sorts and filters on to read past 10,000 results.
pub const OBJECT_ID_PROPERTY: &str = "hs_object_id";

/// Lets a wrapper be read as the generated type it holds (`deref_to!(Wrapper => Inner, field)`),
/// and changed as it with `mut`.
macro_rules! deref_to {
    ($wrapper:ident => $inner:ty, $field:tt) => {
        impl std::ops::Deref for $wrapper {
            type Target = $inner;

            fn deref(&self) -> &$inner {
                &self.$field
            }
        }
    };
    (mut $wrapper:ident => $inner:ty, $field:tt) => {
        crate::model::deref_to!($wrapper => $inner, $field);

        impl std::ops::DerefMut for $wrapper {
            fn deref_mut(&mut self) -> &mut $inner {
                &mut self.$field
            }
        }
    };
}
pub(crate) use deref_to;

/// One historic value of a property (HubSpot's `ValueWithTimestamp`).
pub use hubspot_crm_api::shared::ValueWithTimestamp as PropertyValue;

/// A CRM record (a lead, contact, company, ...) as HubSpot returns it: the generated
/// [`SimplePublicObject`] (its fields read through `Deref`), plus the associations a read asked
/// for and, for upserts, whether the record was created.
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    #[serde(flatten)]
    object: SimplePublicObject,
    /// Associated records by object type (e.g. `contacts`), when requested.
    pub associations: BTreeMap<String, Vec<AssociatedId>>,
    /// Set on upsert results: whether the record was created rather than updated.
    pub new: Option<bool>,
}

impl Record {
    /// The value of a property, `None` when unset or not returned.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.object.properties.get(name).and_then(|v| v.as_deref())
    }

    /// The value history of a property requested with history, newest first; empty when none.
    pub fn history(&self, name: &str) -> &[PropertyValue] {
        self.object
            .properties_with_history
            .get(name)
            .and_then(|values| values.as_deref())
            .unwrap_or_default()
    }

    /// The ids of the associated records of `object_type` (e.g. `contacts`), when requested.
    pub fn associated_ids(&self, object_type: &str) -> impl Iterator<Item = &str> {
        self.associations
            .get(object_type)
            .into_iter()
            .flatten()
            .map(|a| a.id.as_str())
    }

    /// The generated record.
    pub fn into_inner(self) -> SimplePublicObject {
        self.object
    }

    /// Adds what `rest` (the same record, read again for the rest of a property list too
    /// long for one request) has and this read lacks: its properties and histories. What
    /// both have (the properties HubSpot always returns) and every other field stay as this
    /// read answered, so a record changed between the two reads keeps this read's
    /// `updatedAt`, and a sync ordering by it reads the record again.
    pub(crate) fn absorb(&mut self, rest: Record) {
        let rest = rest.object;
        for (name, value) in rest.properties {
            self.object.properties.entry(name).or_insert(value);
        }
        for (name, values) in rest.properties_with_history {
            self.object
                .properties_with_history
                .entry(name)
                .or_insert(values);
        }
    }
}

crate::model::deref_to!(Record => SimplePublicObject, object);

impl From<SimplePublicObject> for Record {
    fn from(object: SimplePublicObject) -> Self {
        Record {
            object,
            associations: BTreeMap::new(),
            new: None,
        }
    }
}

/// The `SimplePublicObject` inside one of the generated record types that extend it (with
/// associations, with the upsert's `new`): their shared fields, moved over.
macro_rules! record_fields {
    ($o:expr) => {
        crate::model::record_fields!($o, warnings = $o.warnings)
    };
    ($o:expr, warnings = $warnings:expr) => {
        SimplePublicObject {
            archived: $o.archived,
            archived_at: $o.archived_at,
            created_at: $o.created_at,
            id: $o.id,
            object_write_trace_id: $o.object_write_trace_id,
            properties: $o.properties,
            properties_with_history: $o.properties_with_history,
            updated_at: $o.updated_at,
            url: $o.url,
            warnings: $warnings,
        }
    };
}
pub(crate) use record_fields;

impl From<SimplePublicObjectWithAssociations> for Record {
    fn from(o: SimplePublicObjectWithAssociations) -> Self {
        // Most reads ask for no associations: no map to rebuild then.
        let associations = if o.associations.is_empty() {
            BTreeMap::new()
        } else {
            o.associations
                .into_iter()
                .map(|(object_type, list)| (object_type, list.results))
                .collect()
        };
        let object = record_fields!(o);
        Record {
            object,
            associations,
            new: None,
        }
    }
}

impl From<SimplePublicUpsertObject> for Record {
    fn from(o: SimplePublicUpsertObject) -> Self {
        let object = record_fields!(o);
        Record {
            object,
            associations: BTreeMap::new(),
            new: Some(o.new),
        }
    }
}

/// Who defined an association type.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum AssociationCategory {
    /// Defined by HubSpot; ids are the same in every account.
    #[serde(rename = "HUBSPOT_DEFINED")]
    HubSpotDefined,
    /// A custom label; ids differ per account.
    #[serde(rename = "USER_DEFINED")]
    UserDefined,
    /// Defined by an integration.
    #[serde(rename = "INTEGRATOR_DEFINED")]
    IntegratorDefined,
    /// Work associations.
    #[serde(rename = "WORK")]
    Work,
    /// A category added by HubSpot after this crate was built.
    #[serde(untagged)]
    Other(String),
}

impl AssociationCategory {
    /// HubSpot's name for the category.
    pub fn as_str(&self) -> &str {
        match self {
            AssociationCategory::HubSpotDefined => "HUBSPOT_DEFINED",
            AssociationCategory::UserDefined => "USER_DEFINED",
            AssociationCategory::IntegratorDefined => "INTEGRATOR_DEFINED",
            AssociationCategory::Work => "WORK",
            AssociationCategory::Other(other) => other,
        }
    }

    pub(crate) fn parse(name: &str) -> Self {
        serde_json::from_value(serde_json::Value::String(name.to_owned()))
            .unwrap_or_else(|_| AssociationCategory::Other(name.to_owned()))
    }
}

/// An association type: category and numeric id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssociationType {
    /// Who defined it.
    pub category: AssociationCategory,
    /// Its id (unique per direction and pair of object types).
    pub type_id: i32,
}

impl AssociationType {
    /// A HubSpot-defined type.
    pub const fn hubspot(type_id: i32) -> Self {
        AssociationType {
            category: AssociationCategory::HubSpotDefined,
            type_id,
        }
    }
}

impl AssociationType {
    /// The generated form of this type for a request body; `None` for a category this client
    /// cannot send ([`AssociationCategory::Other`]).
    pub fn spec(&self) -> Option<AssociationSpec> {
        let association_category = match self.category {
            AssociationCategory::HubSpotDefined => {
                AssociationSpecAssociationCategory::HubspotDefined
            }
            AssociationCategory::UserDefined => AssociationSpecAssociationCategory::UserDefined,
            AssociationCategory::IntegratorDefined => {
                AssociationSpecAssociationCategory::IntegratorDefined
            }
            AssociationCategory::Work => AssociationSpecAssociationCategory::Work,
            AssociationCategory::Other(_) => return None,
        };
        Some(AssociationSpec {
            association_category,
            association_type_id: self.type_id,
        })
    }
}

impl From<&AssociationSpec> for AssociationType {
    fn from(spec: &AssociationSpec) -> Self {
        AssociationType {
            category: AssociationCategory::parse(&spec.association_category.to_string()),
            type_id: spec.association_type_id,
        }
    }
}

/// A record to create: the generated batch-create input (read and change its fields through
/// `Deref`), built with [`NewRecord::property`], [`NewRecord::associate`] and
/// [`NewRecord::trace_id`].
///
/// ```
/// use hubspot_crm::{AssociationType, NewRecord};
/// let deal = NewRecord::new()
///     .property("dealname", "Renewal")
///     .associate("51", AssociationType::hubspot(3)); // deal to contact
/// assert_eq!(deal.properties["dealname"], "Renewal");
/// ```
#[derive(Clone, Debug)]
pub struct NewRecord {
    input: SimplePublicObjectBatchInputForCreate,
    /// An association that cannot be sent, kept so the create is rejected before sending.
    unsendable: Option<ValidationError>,
}

impl Default for NewRecord {
    fn default() -> Self {
        NewRecord {
            input: SimplePublicObjectBatchInputForCreate {
                associations: Vec::new(),
                object_write_trace_id: None,
                properties: BTreeMap::new(),
            },
            unsendable: None,
        }
    }
}

impl NewRecord {
    /// A record with no properties and no associations.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a property by its internal name.
    pub fn property(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.input.properties.insert(name.into(), value.into());
        self
    }

    /// Associates the record with an existing record `to_id` with `association_type` (once: a
    /// repeated pair is ignored).
    pub fn associate(
        mut self,
        to_id: impl Into<String>,
        association_type: AssociationType,
    ) -> Self {
        let to_id = to_id.into();
        let Some(spec) = association_type.spec() else {
            let index = self.input.associations.len();
            self.unsendable.get_or_insert_with(|| {
                ValidationError::new(
                    format!("associations[{index}].types[0].associationCategory"),
                    format!(
                        "`{}` is not a category this client can send",
                        association_type.category.as_str()
                    ),
                )
            });
            return self;
        };
        let exists = self.input.associations.iter().any(|a| {
            a.to.id == to_id
                && a.types
                    .iter()
                    .any(|t| AssociationType::from(t) == association_type)
        });
        if !exists {
            self.input.associations.push(PublicAssociationsForObject {
                to: PublicObjectId { id: to_id },
                types: vec![spec],
            });
        }
        self
    }

    /// Sets the `objectWriteTraceId` HubSpot echoes on a failed batch item. Bulk creates give
    /// every input without one a unique id of their own.
    pub fn trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.input.object_write_trace_id = Some(trace_id.into());
        self
    }

    /// The generated input as it will be sent.
    pub fn as_input(&self) -> &SimplePublicObjectBatchInputForCreate {
        &self.input
    }

    /// The generated input.
    pub fn into_input(self) -> SimplePublicObjectBatchInputForCreate {
        self.input
    }

    /// The reason this record cannot be sent, found while it was built.
    pub(crate) fn unsendable(&self) -> Option<&ValidationError> {
        self.unsendable.as_ref()
    }
}

impl From<SimplePublicObjectBatchInputForCreate> for NewRecord {
    fn from(input: SimplePublicObjectBatchInputForCreate) -> Self {
        NewRecord {
            input,
            unsendable: None,
        }
    }
}

crate::model::deref_to!(mut NewRecord => SimplePublicObjectBatchInputForCreate, input);

/// A change to an existing record: the generated batch-update input (fields through `Deref`).
/// An empty string clears a value.
///
/// ```
/// use hubspot_crm::RecordUpdate;
/// let update = RecordUpdate::new("123").property("hs_lead_label", "HOT");
/// assert_eq!(update.id, "123");
/// ```
#[derive(Clone, Debug)]
pub struct RecordUpdate(SimplePublicObjectBatchInput);

impl RecordUpdate {
    /// A change to the record `id` (or, with [`RecordUpdate::id_property`], the record whose
    /// unique property has that value).
    pub fn new(id: impl Into<String>) -> Self {
        RecordUpdate(SimplePublicObjectBatchInput {
            id: id.into(),
            id_property: None,
            object_write_trace_id: None,
            properties: BTreeMap::new(),
        })
    }

    /// Sets a property; an empty string clears it.
    pub fn property(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.properties.insert(name.into(), value.into());
        self
    }

    /// Addresses the record by this unique property instead of its id.
    pub fn id_property(mut self, name: impl Into<String>) -> Self {
        self.0.id_property = Some(name.into());
        self
    }

    /// Sets the `objectWriteTraceId` HubSpot echoes on failure.
    pub fn trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.0.object_write_trace_id = Some(trace_id.into());
        self
    }

    /// The generated input.
    pub fn into_input(self) -> SimplePublicObjectBatchInput {
        self.0
    }
}

impl From<SimplePublicObjectBatchInput> for RecordUpdate {
    fn from(input: SimplePublicObjectBatchInput) -> Self {
        RecordUpdate(input)
    }
}

crate::model::deref_to!(mut RecordUpdate => SimplePublicObjectBatchInput, 0);

/// Options of a read: which properties, history and associations come back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Properties to return (HubSpot's defaults when empty).
    pub properties: Vec<String>,
    /// Properties to return with their history.
    pub properties_with_history: Vec<String>,
    /// Object types whose associated ids to return.
    pub associations: Vec<String>,
    /// Read from the recycling bin instead.
    pub archived: bool,
    /// Address the record by this unique property instead of its id.
    pub id_property: Option<String>,
    /// Return every property the account defines for the object type (read from the
    /// client's cached definitions, [`Properties::definitions`](crate::Properties::definitions)),
    /// besides those in `properties`.
    pub all_properties: bool,
}

impl ReadOptions {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Properties to return.
    pub fn properties<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.properties = names.into_iter().map(Into::into).collect();
        self
    }

    /// Properties to return with history.
    pub fn properties_with_history<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.properties_with_history = names.into_iter().map(Into::into).collect();
        self
    }

    /// Object types whose associations to return, e.g. `["contacts", "companies"]`.
    pub fn associations<I, S>(mut self, object_types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.associations = object_types.into_iter().map(Into::into).collect();
        self
    }

    /// Read archived records.
    pub fn archived(mut self, archived: bool) -> Self {
        self.archived = archived;
        self
    }

    /// Address records by a unique property.
    pub fn id_property(mut self, name: impl Into<String>) -> Self {
        self.id_property = Some(name.into());
        self
    }

    /// Return every property the account defines for the object type, however many: the
    /// names come from the client's cached property definitions (one read of them per
    /// object type every 10 minutes), and a list too long for one URL is read in parts
    /// ([`ClientBuilder::max_query_length`](crate::ClientBuilder::max_query_length)).
    ///
    /// ```no_run
    /// # async fn run(client: hubspot_crm::Client) -> hubspot_crm::Result<()> {
    /// use hubspot_crm::ReadOptions;
    /// let company = client
    ///     .companies()
    ///     .get_with("42", &ReadOptions::new().all_properties())
    ///     .await?;
    /// println!("{} properties", company.properties.len());
    /// # Ok(()) }
    /// ```
    pub fn all_properties(mut self) -> Self {
        self.all_properties = true;
        self
    }
}

/// One page of a list or search.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The records.
    pub results: Vec<T>,
    /// Cursor of the next page, if there is one.
    pub next_after: Option<String>,
    /// Total matches (search only).
    pub total: Option<u64>,
}

/// One option of an enumeration property (HubSpot's `Option`: `label`, `value`, `hidden`,
/// `display_order`).
pub use hubspot_crm_api::shared::Option as PropertyOption;

/// A property of an object type, as HubSpot defines it in the account: the generated
/// `Property` (fields through `Deref`), with the checks this client makes of values to write.
#[derive(Clone, Debug)]
pub struct PropertyDefinition(Property);

impl PropertyDefinition {
    /// Its value cannot be written: `modificationMetadata.readOnlyValue`, or calculated.
    pub fn read_only(&self) -> bool {
        self.0.calculated
            || self
                .0
                .modification_metadata
                .as_ref()
                .is_some_and(|m| m.read_only_value)
    }

    /// An enumeration whose values must be among `options`.
    pub fn has_fixed_options(&self) -> bool {
        self.0.type_ == "enumeration" && !self.0.external_options && !self.0.options.is_empty()
    }

    /// A multi-select (checkbox) enumeration: values are `;`-separated.
    pub fn is_multi_select(&self) -> bool {
        self.0.type_ == "enumeration" && self.0.field_type == "checkbox"
    }

    /// Checks a value to write: the property is writable and, for an enumeration with fixed
    /// options, the value (each `;`-separated value of a multi-select) is an option's value.
    /// An empty value clears the property and is always accepted on a writable property.
    pub fn check_value(&self, value: &str) -> std::result::Result<(), ValidationError> {
        if self.read_only() {
            return Err(ValidationError::new(
                &self.0.name,
                if self.0.calculated {
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
        let options = &self.0.options;
        for value in values {
            if options.iter().any(|o| o.value == value) {
                continue;
            }
            let allowed: Vec<String> = options.iter().map(|o| format!("`{}`", o.value)).collect();
            let hint = match options.iter().find(|o| o.label.as_deref() == Some(value)) {
                Some(option) => format!(" (`{value}` is the label of `{}`)", option.value),
                None => String::new(),
            };
            return Err(ValidationError::new(
                &self.0.name,
                format!(
                    "`{value}` is not an option{hint}; allowed values: {}",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// The generated property.
    pub fn into_inner(self) -> Property {
        self.0
    }
}

impl From<Property> for PropertyDefinition {
    fn from(property: Property) -> Self {
        PropertyDefinition(property)
    }
}

crate::model::deref_to!(PropertyDefinition => Property, 0);

/// The property definitions of one object type, by name.
#[derive(Clone, Debug)]
pub struct PropertyDefinitions {
    object_type: String,
    by_name: BTreeMap<String, PropertyDefinition>,
}

impl PropertyDefinitions {
    /// Definitions of `object_type`, e.g. from [`Properties::list`](crate::Properties::list).
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

/// An association type between two object types as HubSpot lists it, with its label: the
/// generated `AssociationSpecWithLabel` of the labels API (fields through `Deref`), with its
/// category typed.
#[derive(Clone, Debug)]
pub struct AssociationLabel(LabelSpec);

impl AssociationLabel {
    /// A label of `category` and `type_id`; `label` is `None` for an unlabeled type.
    pub fn new(category: AssociationCategory, type_id: i32, label: Option<String>) -> Self {
        AssociationLabel(LabelSpec {
            category: category.as_str().to_owned(),
            label,
            type_id,
        })
    }

    /// Who defined it.
    pub fn category(&self) -> AssociationCategory {
        AssociationCategory::parse(&self.0.category)
    }

    /// The type, to associate with.
    pub fn association_type(&self) -> AssociationType {
        AssociationType {
            category: self.category(),
            type_id: self.0.type_id,
        }
    }
}

impl From<LabelSpec> for AssociationLabel {
    fn from(spec: LabelSpec) -> Self {
        AssociationLabel(spec)
    }
}

crate::model::deref_to!(AssociationLabel => LabelSpec, 0);

/// HubSpot's answer to one batch request.
#[derive(Clone, Debug)]
pub(crate) struct BatchResponse {
    /// Records confirmed.
    pub(crate) results: Vec<Record>,
    /// Failures HubSpot reported (a 207), each read leniently.
    pub(crate) errors: Vec<ApiError>,
}

impl BatchResponse {
    /// The answer's records and its failed items, read through the one lenient error reader.
    pub(crate) fn new<R: Into<Record>>(
        status: u16,
        results: Vec<R>,
        errors: Vec<serde_json::Value>,
    ) -> Self {
        BatchResponse {
            results: results.into_iter().map(Into::into).collect(),
            errors: errors
                .iter()
                .map(|e| ApiError::from_json(status, e))
                .collect(),
        }
    }
}

/// Comma-joined list for a query parameter, `None` when empty.
pub(crate) fn comma_list(items: &[String]) -> Option<String> {
    (!items.is_empty()).then(|| items.join(","))
}
