//! The schemas API's answers as the crate's types: the v3 shapes, which 2026-09's are a
//! subset of (its fully qualified name and type id are always present, its property
//! definitions carry no display hints).

use hubspot_crm_api::schemas::types::{ObjectSchema, ObjectTypeDefinition};
use hubspot_crm_api::schemas_2026_09::types as dated;
use serde::Serialize;

use crate::model::{PropertyDefinition, PropertyDefinitions};

/// A custom object schema as HubSpot answers it: the generated v3 `ObjectSchema` (fields
/// through `Deref`: `name`, `object_type_id`, `fully_qualified_name`, `properties`,
/// `required_properties`, `associations`, ...).
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct CustomObjectSchema(ObjectSchema);

impl CustomObjectSchema {
    /// The type id HubSpot gave the object type (`2-1234567`), by which records of it are
    /// addressed.
    pub fn type_id(&self) -> Option<&str> {
        self.0.object_type_id.as_deref()
    }

    /// The schema's properties as definitions that check values to write, for the type id
    /// (or, should HubSpot not send one, the schema's name).
    pub fn property_definitions(&self) -> PropertyDefinitions {
        let object_type = self.type_id().unwrap_or(&self.0.name);
        PropertyDefinitions::new(
            object_type,
            self.0
                .properties
                .iter()
                .cloned()
                .map(PropertyDefinition::from),
        )
    }

    /// The generated schema.
    pub fn into_inner(self) -> ObjectSchema {
        self.0
    }
}

impl From<ObjectSchema> for CustomObjectSchema {
    fn from(schema: ObjectSchema) -> Self {
        CustomObjectSchema(schema)
    }
}

impl From<dated::ObjectSchema> for CustomObjectSchema {
    /// The 2026-09 schema as the v3 one; its property definitions lose nothing v3 has but
    /// the display hints 2026-09 does not send.
    fn from(s: dated::ObjectSchema) -> Self {
        CustomObjectSchema(ObjectSchema {
            allows_sensitive_properties: s.allows_sensitive_properties,
            archived: s.archived,
            associations: s.associations,
            created_at: s.created_at,
            created_by_user_id: s.created_by_user_id,
            description: s.description,
            fully_qualified_name: Some(s.fully_qualified_name),
            id: s.id,
            labels: s.labels,
            name: s.name,
            object_type_id: Some(s.object_type_id),
            primary_display_property: s.primary_display_property,
            properties: s
                .properties
                .into_iter()
                .map(|p| PropertyDefinition::from(p).into_inner())
                .collect(),
            required_properties: s.required_properties,
            searchable_properties: s.searchable_properties,
            secondary_display_properties: s.secondary_display_properties,
            updated_at: s.updated_at,
            updated_by_user_id: s.updated_by_user_id,
        })
    }
}

crate::model::deref_to!(CustomObjectSchema => ObjectSchema, 0);

/// A custom object type's definition as an update answers it: the schema without its
/// properties and associations (the generated v3 `ObjectTypeDefinition`, fields through
/// `Deref`).
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct CustomObjectDefinition(ObjectTypeDefinition);

impl CustomObjectDefinition {
    /// The type id HubSpot gave the object type (`2-1234567`).
    pub fn type_id(&self) -> Option<&str> {
        self.0.object_type_id.as_deref()
    }

    /// The generated definition.
    pub fn into_inner(self) -> ObjectTypeDefinition {
        self.0
    }
}

impl From<ObjectTypeDefinition> for CustomObjectDefinition {
    fn from(definition: ObjectTypeDefinition) -> Self {
        CustomObjectDefinition(definition)
    }
}

impl From<dated::ObjectTypeDefinition> for CustomObjectDefinition {
    fn from(d: dated::ObjectTypeDefinition) -> Self {
        CustomObjectDefinition(ObjectTypeDefinition {
            allows_sensitive_properties: d.allows_sensitive_properties,
            archived: d.archived,
            created_at: d.created_at,
            description: d.description,
            fully_qualified_name: Some(d.fully_qualified_name),
            id: d.id,
            labels: d.labels,
            name: d.name,
            object_type_id: Some(d.object_type_id),
            portal_id: d.portal_id,
            primary_display_property: d.primary_display_property,
            required_properties: d.required_properties,
            searchable_properties: d.searchable_properties,
            secondary_display_properties: d.secondary_display_properties,
            updated_at: d.updated_at,
        })
    }
}

crate::model::deref_to!(CustomObjectDefinition => ObjectTypeDefinition, 0);
