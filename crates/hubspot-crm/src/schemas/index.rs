//! The account's custom object types by name, as one list of schemas tells them: what
//! [`Schemas::type_id`](super::Schemas::type_id) looks names up in.

use std::collections::HashMap;

use super::CustomObjectSchema;

/// Type ids (`2-N`) by every name a schema answers to, lowercase: its `name`, `p_<name>`, its
/// fully qualified name (`p<portal id>_<name>`) and its type id.
#[derive(Clone, Debug, Default)]
pub(crate) struct SchemaIndex {
    ids: HashMap<String, String>,
}

impl SchemaIndex {
    /// The index of `schemas`; a schema without a type id has nothing to look up and is left
    /// out.
    pub(crate) fn of<'a>(schemas: impl IntoIterator<Item = &'a CustomObjectSchema>) -> Self {
        let mut index = SchemaIndex::default();
        for schema in schemas {
            index.add(schema);
        }
        index
    }

    /// The same index with `schema` in it.
    pub(crate) fn with(&self, schema: &CustomObjectSchema) -> Self {
        let mut index = self.clone();
        index.add(schema);
        index
    }

    /// The same index without the type `object_type` names (by any of its names).
    pub(crate) fn without(&self, object_type: &str) -> Self {
        let mut index = self.clone();
        let id = self
            .find(object_type)
            .unwrap_or(object_type)
            .to_ascii_lowercase();
        index.ids.retain(|_, v| v.to_ascii_lowercase() != id);
        index
    }

    /// The type id `name` (any of a schema's names, any case) stands for.
    pub(crate) fn find(&self, name: &str) -> Option<&str> {
        self.ids.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    fn add(&mut self, schema: &CustomObjectSchema) {
        let Some(id) = schema.type_id() else {
            return;
        };
        let name = schema.name.to_ascii_lowercase();
        let mut keys = vec![format!("p_{name}"), name, id.to_ascii_lowercase()];
        keys.extend(
            schema
                .fully_qualified_name
                .as_deref()
                .map(str::to_ascii_lowercase),
        );
        for key in keys {
            self.ids.insert(key, id.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use hubspot_crm_api::schemas::types::ObjectSchema;
    use serde_json::json;

    use super::*;

    fn schema(name: &str, id: &str, fqn: &str) -> CustomObjectSchema {
        let schema: ObjectSchema = serde_json::from_value(json!({
            "id": id.trim_start_matches("2-"),
            "objectTypeId": id,
            "fullyQualifiedName": fqn,
            "name": name,
            "labels": {"singular": name, "plural": name},
            "properties": [],
            "requiredProperties": [],
            "associations": [],
        }))
        .unwrap();
        CustomObjectSchema::from(schema)
    }

    #[test]
    fn every_name_of_a_schema_finds_its_type_id_in_any_case() {
        let index = SchemaIndex::of(&[
            schema("cars", "2-101", "p62515_cars"),
            schema("Boats", "2-102", "p62515_Boats"),
        ]);
        for name in ["cars", "CARS", "p_cars", "P_Cars", "p62515_cars", "2-101"] {
            assert_eq!(index.find(name), Some("2-101"), "{name}");
        }
        assert_eq!(index.find("boats"), Some("2-102"));
        assert_eq!(index.find("p62515_boats"), Some("2-102"));
        assert_eq!(index.find("trucks"), None);
        assert_eq!(index.find("p_trucks"), None);
    }

    #[test]
    fn without_drops_every_name_of_the_type_named_by_any_of_them() {
        let index = SchemaIndex::of(&[
            schema("cars", "2-101", "p62515_cars"),
            schema("boats", "2-102", "p62515_boats"),
        ]);
        let without = index.without("p62515_cars");
        for name in ["cars", "p_cars", "p62515_cars", "2-101"] {
            assert_eq!(without.find(name), None, "{name}");
        }
        assert_eq!(without.find("boats"), Some("2-102"));
        assert_eq!(
            index.find("cars"),
            Some("2-101"),
            "the original is unchanged"
        );
        let with = without.with(&schema("trucks", "2-103", "p62515_trucks"));
        assert_eq!(with.find("p_trucks"), Some("2-103"));
    }
}
