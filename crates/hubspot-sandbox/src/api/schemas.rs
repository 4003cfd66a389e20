//! The schemas API (schemas spec v3 `/crm-object-schemas/v3/schemas` and 2026-09
//! `/crm-object-schemas/2026-09/schemas`, served alike): list, read, create, update and
//! delete custom object schemas, and their association definitions. The schemas themselves
//! live in [`crate::custom`].

use std::collections::HashSet;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::{Value, json};

use super::{AppState, Query, body_object, json, name_list, now};
use crate::custom::{self, CustomSchema};
use crate::error::{ApiError, ApiResult};
use crate::schema::{self, PropDef};
use crate::store::{Store, TypeStore};
use crate::{Shared, lock};

/// Property types the schemas spec lists for `ObjectTypePropertyCreate.type`.
const PROPERTY_TYPES: &[&str] = &[
    "bool",
    "date",
    "datetime",
    "enumeration",
    "number",
    "phone_number",
    "string",
];

/// HubSpot's default properties every custom type has; a schema cannot define them again.
const DEFAULT_PROPERTIES: &[&str] = &["hs_object_id", "hs_createdate", "hs_lastmodifieddate"];

/// The routes of one version's schemas API under `prefix`.
pub(crate) fn routes(prefix: &str) -> Router<AppState> {
    Router::new()
        .route(prefix, get(list).post(create))
        .route(
            &format!("{prefix}/{{otype}}"),
            get(read).patch(update).delete(archive),
        )
        .route(
            &format!("{prefix}/{{otype}}/associations"),
            axum::routing::post(create_association),
        )
        .route(
            &format!("{prefix}/{{otype}}/associations/{{id}}"),
            delete(archive_association),
        )
}

/// A 404 for a schema that does not exist (or no longer does).
fn unknown_schema(raw: &str) -> ApiError {
    ApiError::not_found(format!("Unable to find a custom object schema for {raw}"))
}

/// A type a request body names: a standard type or a custom one that is not deleted.
fn body_type(s: &Shared, store: &Store, field: &str, raw: &str) -> ApiResult<String> {
    s.config
        .resolve_type(raw)
        .or_else(|| store.schemas.resolve(raw))
        .filter(|t| !store.schemas.is_gone(t))
        .ok_or_else(|| {
            ApiError::validation(format!("Unable to infer object type from: {raw} ({field})"))
        })
}

/// A string field of a body that must be there and not blank.
fn required_str<'a>(body: &'a Value, field: &str) -> ApiResult<&'a str> {
    match body.get(field).and_then(Value::as_str) {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ApiError::validation(format!(
            "Invalid input JSON: {field} is required and must be a string that is not blank"
        ))),
    }
}

/// The schemas guide's rule for a schema's name, and for property names: letters, digits
/// and underscores, starting with a letter.
fn check_name(what: &str, name: &str) -> ApiResult<()> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        return Ok(());
    }
    Err(ApiError::validation(format!(
        "{what} \"{name}\" is not valid: it may contain only letters, numbers and underscores, and must begin with a letter"
    )))
}

/// The labels of a body: each given one not blank, both required on create.
fn labels(body: &Value, both: bool) -> ApiResult<(Option<String>, Option<String>)> {
    let mut out = [None, None];
    for (slot, key) in out.iter_mut().zip(["singular", "plural"]) {
        match body.get("labels").and_then(|l| l.get(key)) {
            Some(Value::String(v)) if !v.trim().is_empty() => *slot = Some(v.clone()),
            None | Some(Value::Null) if !both => {}
            _ => {
                return Err(ApiError::validation(format!(
                    "Invalid input JSON: labels.{key} is required and must not be blank"
                )));
            }
        }
    }
    let [singular, plural] = out;
    Ok((singular, plural))
}

/// The `{value, label}` options of a property body.
fn options(at: &str, p: &Value) -> ApiResult<Vec<(String, String)>> {
    let list = p.get("options").and_then(Value::as_array);
    let mut out: Vec<(String, String)> = Vec::new();
    for option in list.into_iter().flatten() {
        let value = required_str(option, "value")
            .map_err(|_| ApiError::validation(format!("{at}: each option needs a value")))?;
        let label = option.get("label").and_then(Value::as_str).unwrap_or(value);
        if out.iter().any(|(v, _)| v == value) {
            return Err(ApiError::validation(format!(
                "{at}: option value \"{value}\" is given twice"
            )));
        }
        out.push((value.to_string(), label.to_string()));
    }
    Ok(out)
}

/// One `ObjectTypePropertyCreate` as a definition of the new type.
fn property(i: usize, p: &Value, group: &str) -> ApiResult<PropDef> {
    let at = format!("properties[{i}]");
    let name = required_str(p, "name")?;
    check_name("Property name", name)?;
    if DEFAULT_PROPERTIES.contains(&name) {
        return Err(ApiError::validation(format!(
            "{at}: \"{name}\" is a property HubSpot defines for every object"
        )));
    }
    let label = required_str(p, "label")?;
    let field_type = required_str(p, "fieldType")?;
    let raw_type = required_str(p, "type")?;
    let Some(ptype) = PROPERTY_TYPES.iter().copied().find(|t| *t == raw_type) else {
        return Err(ApiError::validation(format!(
            "{at}: \"{raw_type}\" is not a property type; use one of {}",
            PROPERTY_TYPES.join(", ")
        )));
    };
    let Some(field_type) = super::property_input::known_field_type(field_type) else {
        return Err(ApiError::validation(format!(
            "{at}: \"{field_type}\" is not a field type"
        )));
    };
    let options = options(&at, p)?;
    let elsewhere = ["referencedObjectType", "externalOptionsReferenceType"]
        .iter()
        .any(|k| p.get(*k).is_some_and(Value::is_string));
    if ptype == "enumeration" && options.is_empty() && !elsewhere {
        return Err(ApiError::validation(format!(
            "{at}: an enumeration property needs options"
        )));
    }
    let group = match p.get("groupName").and_then(Value::as_str) {
        Some(g) if !g.trim().is_empty() => g,
        _ => group,
    };
    let options: Vec<(&str, &str)> = options
        .iter()
        .map(|(value, label)| (value.as_str(), label.as_str()))
        .collect();
    let mut def = PropDef::new(name, label, ptype, field_type, group).options(&options);
    if p.get("hasUniqueValue") == Some(&Value::Bool(true)) {
        def = def.unique();
    }
    if p.get("hidden") == Some(&Value::Bool(true)) {
        def = def.hidden();
    }
    def.custom = true;
    Ok(def)
}

/// The properties of a new schema, none named twice.
fn properties(body: &Value, schema_name: &str) -> ApiResult<Vec<PropDef>> {
    let group = format!("{}_information", schema_name.to_ascii_lowercase());
    let list = body
        .get("properties")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::validation("Invalid input JSON: properties must be a list"))?;
    let mut defs: Vec<PropDef> = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        let def = property(i, p, &group)?;
        if defs.iter().any(|d| d.name == def.name) {
            return Err(ApiError::validation(format!(
                "properties[{i}]: property \"{}\" is defined twice",
                def.name
            )));
        }
        defs.push(def);
    }
    Ok(defs)
}

/// The property lists a schema names (required, searchable, secondary display, and the
/// primary display property), each name among `known` (when the type's properties are
/// known; a registered free-form type takes any valid name).
struct Lists {
    required: Option<Vec<String>>,
    searchable: Option<Vec<String>>,
    secondary: Option<Vec<String>>,
    primary: Option<String>,
}

fn lists(body: &Value, known: Option<&HashSet<&str>>) -> ApiResult<Lists> {
    let check = |key: &str, name: &str| -> ApiResult<()> {
        check_name("Property name", name)?;
        if known.is_some_and(|k| !k.contains(name)) {
            return Err(ApiError::validation(format!(
                "{key} names \"{name}\", which is not a property of the schema"
            )));
        }
        Ok(())
    };
    let names = |key: &str| -> ApiResult<Option<Vec<String>>> {
        let list = name_list(body.get(key));
        for name in list.iter().flatten() {
            check(key, name)?;
        }
        Ok(list)
    };
    let primary = match body.get("primaryDisplayProperty") {
        Some(Value::String(name)) => {
            check("primaryDisplayProperty", name)?;
            Some(name.clone())
        }
        _ => None,
    };
    Ok(Lists {
        required: names("requiredProperties")?,
        searchable: names("searchableProperties")?,
        secondary: names("secondaryDisplayProperties")?,
        primary,
    })
}

/// Refuses a name another schema holds (deleted ones too, until purged) or a standard
/// type's: 409 `CONFLICT` (HubSpot's schemas guide: a schema's name is unique).
fn check_name_free(store: &Store, name: &str) -> ApiResult<()> {
    let taken =
        schema::canonical_type(name).is_some() || store.schemas.holding_name(name).is_some();
    if taken {
        return Err(ApiError::conflict(format!(
            "An object type with name {name} already exists"
        )));
    }
    Ok(())
}

pub(crate) async fn list(State(s): State<AppState>, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let q = Query::parse(q.as_deref());
    let archived = q.flag("archived")?;
    let mut store = lock(&s.store);
    let schemas: Vec<CustomSchema> = store.schemas.listed(archived).cloned().collect();
    let results: Vec<Value> = schemas
        .iter()
        .map(|schema| answer(&mut store, schema, &q))
        .collect();
    Ok(json(StatusCode::OK, json!({"results": results})))
}

/// A schema as a read answers it: without properties or association definitions when the
/// query says so (`includePropertyDefinitions=false`, `includeAssociationDefinitions=false`).
fn answer(store: &mut Store, schema: &CustomSchema, q: &Query) -> Value {
    let mut v = custom::schema_json(store, schema);
    for (flag, key) in [
        ("includePropertyDefinitions", "properties"),
        ("includeAssociationDefinitions", "associations"),
    ] {
        if q.get(flag).is_some_and(|f| f.eq_ignore_ascii_case("false")) {
            v[key] = json!([]);
        }
    }
    v
}

pub(crate) async fn read(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let q = Query::parse(q.as_deref());
    let mut store = lock(&s.store);
    let schema = store
        .schemas
        .live(&raw)
        .cloned()
        .ok_or_else(|| unknown_schema(&raw))?;
    Ok(json(StatusCode::OK, answer(&mut store, &schema, &q)))
}

pub(crate) async fn create(State(s): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let body = body_object(&body)?;
    let name = required_str(&body, "name")?;
    check_name("Object name", name)?;
    let (singular, plural) = labels(&body, true)?;
    let defs = properties(&body, name)?;
    let own: HashSet<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    let lists = lists(&body, Some(&own))?;
    let mut store = lock(&s.store);
    check_name_free(&store, name)?;
    let associated = name_list(body.get("associatedObjects"))
        .unwrap_or_default()
        .iter()
        .map(|raw| body_type(&s, &store, "associatedObjects", raw))
        .collect::<ApiResult<Vec<_>>>()?;
    let in_use: Vec<String> = store.custom_type_ids().map(str::to_string).collect();
    let otype = store
        .schemas
        .next_type_id(in_use.iter().map(String::as_str));
    let at = now();
    let schema = CustomSchema {
        otype: otype.clone(),
        name: name.to_string(),
        singular: singular.unwrap_or_default(),
        plural: plural.unwrap_or_default(),
        description: body
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        required: lists.required.unwrap_or_default(),
        searchable: lists.searchable.unwrap_or_default(),
        secondary: lists.secondary.unwrap_or_default(),
        primary: lists.primary,
        allows_sensitive: body.get("allowsSensitiveProperties") == Some(&Value::Bool(true)),
        created_at: at,
        updated_at: at,
        archived: false,
    };
    store.define_type(
        &otype,
        TypeStore::defined(custom::type_properties(name, defs)),
    );
    store.schemas.insert(schema.clone());
    for to in associated {
        store.schemas.add_association(&otype, &to, None, at);
    }
    Ok(json(
        StatusCode::CREATED,
        custom::schema_json(&mut store, &schema),
    ))
}

pub(crate) async fn update(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = body_object(&body)?;
    let (singular, plural) = labels(&body, false)?;
    let mut store = lock(&s.store);
    let otype = store
        .schemas
        .resolve(&raw)
        .ok_or_else(|| unknown_schema(&raw))?;
    let ts = store.type_store(&otype);
    let known: Option<HashSet<&str>> = ts
        .schema
        .as_ref()
        .map(|defs| defs.iter().map(|d| d.name.as_str()).collect());
    let lists = lists(&body, known.as_ref())?;
    let schema = store
        .schemas
        .live_mut(&otype)
        .ok_or_else(|| unknown_schema(&raw))?;
    apply(schema, &body, lists, (singular, plural));
    schema.updated_at = now();
    Ok(json(StatusCode::OK, schema.definition_json()))
}

/// What an update changes: every field it gives, lists replaced whole.
fn apply(
    schema: &mut CustomSchema,
    body: &Value,
    lists: Lists,
    (singular, plural): (Option<String>, Option<String>),
) {
    if let Some(v) = singular {
        schema.singular = v;
    }
    if let Some(v) = plural {
        schema.plural = v;
    }
    if let Some(v) = lists.required {
        schema.required = v;
    }
    if let Some(v) = lists.searchable {
        schema.searchable = v;
    }
    if let Some(v) = lists.secondary {
        schema.secondary = v;
    }
    if let Some(v) = lists.primary {
        schema.primary = Some(v);
    }
    if let Some(v) = body.get("description").and_then(Value::as_str) {
        schema.description = Some(v.to_string());
    }
    if body.get("clearDescription") == Some(&Value::Bool(true)) {
        schema.description = None;
    }
    if let Some(v) = body
        .get("allowsSensitiveProperties")
        .and_then(Value::as_bool)
    {
        schema.allows_sensitive = v;
    }
}

/// `DELETE /{objectType}`: refused while the type has live records (HubSpot's schemas guide:
/// a custom object's records are deleted before its schema), else the schema is deleted
/// and its type gone from every API; its name stays taken until `?archived=true` purges it
/// (HubSpot's changelog: the hard delete of a schema is `DELETE ...?archived=true`).
pub(crate) async fn archive(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let purge = Query::parse(q.as_deref()).flag("archived")?;
    let mut store = lock(&s.store);
    if let Some(otype) = store.schemas.resolve(&raw) {
        let live = store.live_records(&otype);
        if live > 0 {
            return Err(ApiError::validation(format!(
                "Unable to delete object type {otype}: it has {live} records; delete them before its schema"
            )));
        }
        store.schemas.soft_delete(&otype, now());
    }
    let deleted = store
        .schemas
        .archived(&raw)
        .map(|schema| schema.otype.clone())
        .ok_or_else(|| unknown_schema(&raw))?;
    if purge {
        store.schemas.purge(&deleted);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /{objectType}/associations`: a new association definition between the schema's type
/// and another (either end may be the schema's), which the associations API then takes for
/// the pair.
pub(crate) async fn create_association(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = body_object(&body)?;
    let from_raw = required_str(&body, "fromObjectTypeId")?;
    let to_raw = required_str(&body, "toObjectTypeId")?;
    let name = body.get("name").and_then(Value::as_str).map(str::to_string);
    let mut store = lock(&s.store);
    let otype = store
        .schemas
        .resolve(&raw)
        .ok_or_else(|| unknown_schema(&raw))?;
    let from = body_type(&s, &store, "fromObjectTypeId", from_raw)?;
    let to = body_type(&s, &store, "toObjectTypeId", to_raw)?;
    if from != otype && to != otype {
        return Err(ApiError::validation(format!(
            "An association of schema {otype} must have it as fromObjectTypeId or toObjectTypeId"
        )));
    }
    if store.schemas.has_association(&from, &to, name.as_deref()) {
        return Err(ApiError::conflict(format!(
            "An association between {from_raw} and {to_raw} with this name already exists"
        )));
    }
    let definition = store.schemas.add_association(&from, &to, name, now());
    Ok(json(StatusCode::CREATED, definition.to_json()))
}

pub(crate) async fn archive_association(
    State(s): State<AppState>,
    Path((raw, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let mut store = lock(&s.store);
    let otype = store
        .schemas
        .resolve(&raw)
        .ok_or_else(|| unknown_schema(&raw))?;
    let removed = id
        .trim()
        .parse::<u32>()
        .is_ok_and(|id| store.schemas.remove_association(&otype, id));
    if !removed {
        return Err(ApiError::not_found(format!(
            "Unable to find association {id} of {otype}"
        )));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
