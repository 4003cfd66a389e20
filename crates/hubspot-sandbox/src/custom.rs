//! Custom object schemas of the account (schemas spec v3 and 2026-09): the types created
//! through `POST /crm-object-schemas/{version}/schemas` and those registered with
//! [`SandboxConfig::custom_object_type`](crate::SandboxConfig::custom_object_type), their
//! names, required properties and association definitions. The HTTP side is
//! `api::schemas`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult, Detail};
use crate::rules::REQUIRED_FIELD;
use crate::schema::{self, PropDef};
use crate::store::{Store, fmt_time};
use crate::webhook::PORTAL_ID;

/// The number of the first type id the sandbox gives a created schema (`2-3000001`) when no
/// custom type with a higher number is known: a sandbox pick, as HubSpot numbers each
/// account's types itself.
pub(crate) const FIRST_TYPE_NUMBER: u64 = 3_000_001;

/// The id of the first association definition the schemas API creates: a sandbox pick above
/// every association type id of [`schema::ASSOC_DEFS`] and [`schema::GENERIC_ASSOC_TYPE`].
const FIRST_ASSOCIATION_ID: u32 = 10_001;

/// An association definition between a custom type and another type.
#[derive(Debug, Clone)]
pub(crate) struct AssocDefinition {
    pub id: u32,
    /// Canonical types (plural names, or `2-N`).
    pub from: String,
    pub to: String,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl AssocDefinition {
    /// The `AssociationDefinition` of the schemas spec.
    pub fn to_json(&self) -> Value {
        let at = fmt_time(self.created_at);
        let mut v = json!({
            "id": self.id.to_string(),
            "fromObjectTypeId": schema::type_id(&self.from),
            "toObjectTypeId": schema::type_id(&self.to),
            "createdAt": at,
            "updatedAt": at,
        });
        if let Some(name) = &self.name {
            v["name"] = json!(name);
        }
        v
    }
}

/// What a schema says beyond its properties, as created or last updated.
#[derive(Debug, Clone)]
pub(crate) struct CustomSchema {
    /// The type id, `2-N`.
    pub otype: String,
    /// The name as given (the sandbox compares names case-insensitively).
    pub name: String,
    pub singular: String,
    pub plural: String,
    pub description: Option<String>,
    pub required: Vec<String>,
    pub searchable: Vec<String>,
    pub secondary: Vec<String>,
    pub primary: Option<String>,
    pub allows_sensitive: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Soft-deleted: gone from the API until purged, its name still taken.
    pub archived: bool,
}

impl CustomSchema {
    /// The schema's fully qualified name, `p<portal id>_<name>`.
    pub fn fully_qualified_name(&self) -> String {
        format!("p{PORTAL_ID}_{}", self.name)
    }

    /// Whether `raw` is one of its names: the name, `p_<name>`, the fully qualified name
    /// (case-insensitive), or its type id.
    fn answers_to(&self, raw: &str) -> bool {
        let raw = raw.to_ascii_lowercase();
        let name = self.name.to_ascii_lowercase();
        raw == name
            || raw == format!("p_{name}")
            || raw == self.fully_qualified_name().to_ascii_lowercase()
            || schema::custom_type_id(&raw).as_deref() == Some(self.otype.as_str())
    }

    /// The `ObjectTypeDefinition` of the schemas spec: the schema without its properties and
    /// associations (what an update answers).
    pub fn definition_json(&self) -> Value {
        let mut v = json!({
            "id": self.otype.trim_start_matches("2-"),
            "objectTypeId": self.otype,
            "fullyQualifiedName": self.fully_qualified_name(),
            "name": self.name,
            "labels": {"singular": self.singular, "plural": self.plural},
            "requiredProperties": self.required,
            "searchableProperties": self.searchable,
            "secondaryDisplayProperties": self.secondary,
            "allowsSensitiveProperties": self.allows_sensitive,
            "archived": self.archived,
            "createdAt": fmt_time(self.created_at),
            "updatedAt": fmt_time(self.updated_at),
        });
        if let Some(primary) = &self.primary {
            v["primaryDisplayProperty"] = json!(primary);
        }
        if let Some(description) = &self.description {
            v["description"] = json!(description);
        }
        v
    }
}

/// The account's custom object schemas by type id.
#[derive(Debug)]
pub(crate) struct Registry {
    schemas: BTreeMap<String, CustomSchema>,
    /// Type ids of purged (hard-deleted) schemas: never served or handed out again.
    purged: BTreeSet<String>,
    associations: Vec<AssocDefinition>,
    next_association: u32,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            schemas: BTreeMap::new(),
            purged: BTreeSet::new(),
            associations: Vec::new(),
            next_association: FIRST_ASSOCIATION_ID,
        }
    }
}

impl Registry {
    /// Lists the types registered in the configuration (`(2-N, lowercase name)`) as
    /// schemas, so that `GET /schemas` shows them too; they keep their free-form properties.
    pub fn register_configured(&mut self, types: &[(String, String)], now: DateTime<Utc>) {
        for (otype, name) in types.iter().filter(|(_, name)| !name.is_empty()) {
            self.insert(CustomSchema {
                otype: otype.clone(),
                name: name.clone(),
                singular: name.clone(),
                plural: name.clone(),
                description: None,
                required: Vec::new(),
                searchable: Vec::new(),
                secondary: Vec::new(),
                primary: None,
                allows_sensitive: false,
                created_at: now,
                updated_at: now,
                archived: false,
            });
        }
    }

    pub fn insert(&mut self, schema: CustomSchema) {
        self.schemas.insert(schema.otype.clone(), schema);
    }

    /// The live schema `raw` names (type id or any of its names).
    pub fn live(&self, raw: &str) -> Option<&CustomSchema> {
        self.schemas
            .values()
            .find(|s| !s.archived && s.answers_to(raw))
    }

    /// The soft-deleted schema `raw` names.
    pub fn archived(&self, raw: &str) -> Option<&CustomSchema> {
        self.schemas
            .values()
            .find(|s| s.archived && s.answers_to(raw))
    }

    /// The live schema of type id `otype`.
    pub fn by_type(&self, otype: &str) -> Option<&CustomSchema> {
        self.schemas.get(otype).filter(|s| !s.archived)
    }

    pub fn live_mut(&mut self, otype: &str) -> Option<&mut CustomSchema> {
        self.schemas.get_mut(otype).filter(|s| !s.archived)
    }

    /// The type id of the live schema `raw` names.
    pub fn resolve(&self, raw: &str) -> Option<String> {
        self.live(raw).map(|s| s.otype.clone())
    }

    /// Whether `otype` was a schema's type and is deleted (soft or hard): the API no longer
    /// serves it.
    pub fn is_gone(&self, otype: &str) -> bool {
        self.purged.contains(otype) || self.schemas.get(otype).is_some_and(|s| s.archived)
    }

    /// The schema holding `name` (live, or deleted but not purged), compared
    /// case-insensitively.
    pub fn holding_name(&self, name: &str) -> Option<&CustomSchema> {
        self.schemas
            .values()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// Schemas that are (not) soft-deleted, by type id.
    pub fn listed(&self, archived: bool) -> impl Iterator<Item = &CustomSchema> {
        self.schemas
            .values()
            .filter(move |s| s.archived == archived)
    }

    pub fn soft_delete(&mut self, otype: &str, now: DateTime<Utc>) {
        if let Some(s) = self.schemas.get_mut(otype) {
            s.archived = true;
            s.updated_at = now;
        }
    }

    /// Forgets a soft-deleted schema and its association definitions; the name is free
    /// again, the type id never handed out again.
    pub fn purge(&mut self, otype: &str) {
        self.schemas.remove(otype);
        self.associations
            .retain(|a| a.from != otype && a.to != otype);
        self.purged.insert(otype.to_string());
    }

    /// The type id the next created schema gets: one above every custom type number known
    /// (registered, created, purged, or in use without registration), at least
    /// [`FIRST_TYPE_NUMBER`].
    pub fn next_type_id<'a>(&self, in_use: impl Iterator<Item = &'a str>) -> String {
        let number = |t: &str| t.strip_prefix("2-")?.parse::<u64>().ok();
        let highest = self
            .schemas
            .keys()
            .chain(self.purged.iter())
            .filter_map(|t| number(t))
            .chain(in_use.filter_map(number))
            .max()
            .unwrap_or(0);
        format!("2-{}", highest.saturating_add(1).max(FIRST_TYPE_NUMBER))
    }

    /// A new association definition, with the next id.
    pub fn add_association(
        &mut self,
        from: &str,
        to: &str,
        name: Option<String>,
        now: DateTime<Utc>,
    ) -> AssocDefinition {
        let definition = AssocDefinition {
            id: self.next_association,
            from: from.to_string(),
            to: to.to_string(),
            name,
            created_at: now,
        };
        self.next_association += 1;
        self.associations.push(definition.clone());
        definition
    }

    /// Removes association definition `id` of the custom type `otype`; whether there was one.
    pub fn remove_association(&mut self, otype: &str, id: u32) -> bool {
        let before = self.associations.len();
        self.associations
            .retain(|a| !(a.id == id && (a.from == otype || a.to == otype)));
        self.associations.len() != before
    }

    /// The association definitions of the custom type `otype` (from or to it).
    pub fn associations_of<'a>(
        &'a self,
        otype: &'a str,
    ) -> impl Iterator<Item = &'a AssocDefinition> {
        self.associations
            .iter()
            .filter(move |a| a.from == otype || a.to == otype)
    }

    /// The association definitions between two types, in either direction: the labels API
    /// lists them for the pair (a sandbox reading, as `USER_DEFINED` types without a label).
    pub fn associations_between<'a>(
        &'a self,
        a: &'a str,
        b: &'a str,
    ) -> impl Iterator<Item = &'a AssocDefinition> {
        self.associations
            .iter()
            .filter(move |d| (d.from == a && d.to == b) || (d.from == b && d.to == a))
    }

    /// Whether an association definition joins the two types in either direction.
    pub fn has_association(&self, from: &str, to: &str, name: Option<&str>) -> bool {
        self.associations_between(from, to)
            .any(|d| d.name.as_deref() == name)
    }
}

/// The `ObjectSchema` of the schemas spec: the definition, its properties (HubSpot's default
/// ones included) and its association definitions.
pub(crate) fn schema_json(store: &mut Store, schema: &CustomSchema) -> Value {
    let created = fmt_time(schema.created_at);
    let properties: Vec<Value> = store
        .type_store(&schema.otype)
        .defs()
        .iter()
        .enumerate()
        .map(|(i, p)| p.to_json(i, &created))
        .collect();
    let associations: Vec<Value> = store
        .schemas
        .associations_of(&schema.otype)
        .map(AssocDefinition::to_json)
        .collect();
    let mut v = schema.definition_json();
    v["properties"] = json!(properties);
    v["associations"] = json!(associations);
    v
}

/// HubSpot's default properties of a created type, then its own.
pub(crate) fn type_properties(name: &str, own: Vec<PropDef>) -> Vec<PropDef> {
    let group = format!("{}_information", name.to_ascii_lowercase());
    let mut defs = schema::common(&group);
    defs.extend(own);
    defs
}

/// Refuses a create of `otype` without a value for each of its schema's required
/// properties: HubSpot's schemas guide says `requiredProperties` must be set when records of
/// the type are created (every API version). A 400 `VALIDATION_ERROR` naming each missing
/// property as a `REQUIRED_FIELD`, as account validation rules name theirs.
pub(crate) fn check_required(
    store: &Store,
    otype: &str,
    props: &[(String, String)],
) -> ApiResult<()> {
    let Some(schema) = store.schemas.by_type(otype) else {
        return Ok(());
    };
    let missing: Vec<&String> = schema
        .required
        .iter()
        .filter(|name| {
            !props
                .iter()
                .any(|(k, v)| k == *name && !v.trim().is_empty())
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let message = |p: &str| {
        format!(
            "Property \"{p}\" is required to create a {}",
            schema.singular.to_ascii_lowercase()
        )
    };
    let details: Vec<Detail> = missing
        .iter()
        .map(|p| Detail {
            message: message(p),
            code: Some(REQUIRED_FIELD.into()),
            context: Some(json!({"propertyName": [p]})),
        })
        .collect();
    let summary: Vec<String> = missing.iter().map(|p| message(p)).collect();
    Err(ApiError::validation(format!(
        "Property values were not valid: {}",
        summary.join("; ")
    ))
    .with_errors(&details))
}
