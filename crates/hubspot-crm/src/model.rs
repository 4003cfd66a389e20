//! Records and request shapes shared by every CRM object type.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A CRM record (a lead, contact, company, ...) as HubSpot returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// HubSpot's record id.
    pub id: String,
    /// Property values; a requested property with no value is `None`.
    pub properties: BTreeMap<String, Option<String>>,
    /// Value history of the properties requested with history, newest first.
    #[serde(default)]
    pub properties_with_history: BTreeMap<String, Vec<PropertyValue>>,
    /// Associated record ids by object type (e.g. `contacts`), when requested.
    #[serde(default)]
    pub associations: BTreeMap<String, Vec<AssociatedRecord>>,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
    /// Whether the record is in the recycling bin.
    pub archived: bool,
    /// When it was archived.
    #[serde(default)]
    pub archived_at: Option<DateTime<Utc>>,
    /// Set on upsert results: whether the record was created rather than updated.
    #[serde(default)]
    pub new: Option<bool>,
    /// The trace id the input carried, echoed back.
    #[serde(default)]
    pub object_write_trace_id: Option<String>,
}

impl Record {
    /// The value of a property, `None` when unset or not returned.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties.get(name).and_then(|v| v.as_deref())
    }
}

/// One historic value of a property.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PropertyValue {
    /// The value then.
    pub value: String,
    /// When it was set.
    pub timestamp: DateTime<Utc>,
    /// What set it, e.g. `API`, `CRM_UI`.
    pub source_type: String,
    /// Source detail, when given.
    #[serde(default)]
    pub source_id: Option<String>,
    /// Source label, when given.
    #[serde(default)]
    pub source_label: Option<String>,
    /// The user who set it, when one did.
    #[serde(default)]
    pub updated_by_user_id: Option<i64>,
}

/// A record associated with another, as listed in a read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssociatedRecord {
    /// Its id.
    pub id: String,
    /// The association type's name, e.g. `lead_to_contact`.
    #[serde(rename = "type")]
    pub association_type: String,
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

/// An association to create along with a new record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NewAssociation {
    /// The other record's id.
    pub to_id: String,
    /// The types to associate with.
    pub types: Vec<AssociationType>,
}

/// A record to create.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NewRecord {
    /// Property values.
    pub properties: BTreeMap<String, String>,
    /// Associations to create with it.
    pub associations: Vec<NewAssociation>,
    /// Echoed by HubSpot on a failed batch item, to tie the error to this input.
    pub object_write_trace_id: Option<String>,
}

/// A change to an existing record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecordUpdate {
    /// The record id, or the value of `id_property`.
    pub id: String,
    /// A unique property addressing the record instead of its id.
    pub id_property: Option<String>,
    /// New values; an empty string clears a value.
    pub properties: BTreeMap<String, String>,
    /// Echoed by HubSpot on failure.
    pub object_write_trace_id: Option<String>,
}

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

/// One failed item of a batch answer, as HubSpot reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchItemError {
    /// HubSpot's status text.
    pub status: Option<String>,
    /// HubSpot's category, e.g. `VALIDATION_ERROR`, `OBJECT_NOT_FOUND`.
    pub category: Option<String>,
    /// HubSpot's message.
    pub message: Option<String>,
    /// Context, e.g. `ids` or `objectWriteTraceId`, naming the inputs concerned.
    pub context: BTreeMap<String, Vec<String>>,
    /// Details per field.
    pub errors: Vec<crate::error::ApiErrorDetail>,
}

/// HubSpot's answer to one batch request.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchResponse {
    /// HubSpot's status: `COMPLETE`, `PENDING`, ...
    pub status: String,
    /// Records confirmed.
    pub results: Vec<Record>,
    /// Failures HubSpot reported (a 207).
    pub errors: Vec<BatchItemError>,
}

/// Comma-joined list for a query parameter, `None` when empty.
pub fn comma_list(items: &[String]) -> Option<String> {
    (!items.is_empty()).then(|| items.join(","))
}
