//! Bodies of the Properties API's writes (properties spec v3 and 2026-09: `PropertyCreate`,
//! `PropertyUpdate`, `PropertyGroupCreate`, `PropertyGroupUpdate`), read into definitions
//! and checked as HubSpot checks them. Messages are the sandbox's, in HubSpot's manner.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::Version;
use crate::error::{ApiError, ApiResult};
use crate::schema::{PropDef, PropOption, Written};
use crate::store::Group;

/// The field types HubSpot's properties guide lists for each type ("Property type and
/// fieldType values"); the types are the spec's `type` enum.
const FIELD_TYPES: &[(&str, &[&str])] = &[
    ("bool", &["booleancheckbox", "calculation_equation"]),
    (
        "enumeration",
        &[
            "booleancheckbox",
            "checkbox",
            "radio",
            "select",
            "calculation_equation",
        ],
    ),
    ("date", &["date"]),
    ("datetime", &["date"]),
    (
        "string",
        &[
            "text",
            "textarea",
            "html",
            "phonenumber",
            "file",
            "calculation_equation",
        ],
    ),
    ("number", &["number", "calculation_equation"]),
    ("phone_number", &["phonenumber"]),
];

/// The spec's `fieldType` enum.
const ALL_FIELD_TYPES: &[&str] = &[
    "booleancheckbox",
    "calculation_equation",
    "checkbox",
    "date",
    "file",
    "html",
    "number",
    "phonenumber",
    "radio",
    "select",
    "text",
    "textarea",
];

/// Fields of a create or update kept as sent and echoed in answers.
const ECHOED: &[&str] = &[
    "description",
    "displayOrder",
    "formField",
    "calculationFormula",
    "dataSensitivity",
    "referencedObjectType",
    "numberDisplayHint",
    "textDisplayHint",
    "showCurrencySymbol",
    "currencyPropertyName",
];

/// Of [`ECHOED`], those only v3's spec has.
const V3_ONLY: &[&str] = &[
    "numberDisplayHint",
    "textDisplayHint",
    "showCurrencySymbol",
    "currencyPropertyName",
];

/// The options HubSpot lists for a `bool` property.
const YES_NO: &[(&str, &str)] = &[("true", "Yes"), ("false", "No")];

/// HubSpot's longest internal name.
const MAX_NAME_LEN: usize = 100;

fn field_error(field: &str, message: String) -> ApiError {
    ApiError::validation(message).with_context(json!({"field": [field]}))
}

/// A string field: `None` when absent or null, refused when of another JSON type.
fn text<'a>(body: &'a Value, key: &str) -> ApiResult<Option<&'a str>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(field_error(key, format!("{key} must be a string."))),
    }
}

fn required_text<'a>(body: &'a Value, key: &str) -> ApiResult<&'a str> {
    match text(body, key)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(field_error(
            key,
            format!("{key} is required and cannot be blank."),
        )),
    }
}

/// A boolean field: `None` when absent or null.
fn flag(body: &Value, key: &str) -> ApiResult<Option<bool>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(field_error(key, format!("{key} must be true or false."))),
    }
}

/// An internal name of a property or group: lowercase letters, digits and `_`, starting
/// with a letter, at most 100 characters (HubSpot's knowledge base on internal names).
pub(crate) fn check_name(what: &str, name: &str) -> ApiResult<()> {
    let valid = name.len() <= MAX_NAME_LEN
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        return Ok(());
    }
    Err(field_error(
        "name",
        format!(
            "{what} name '{name}' is invalid: internal names take lowercase letters, numbers and underscores, start with a letter and have at most {MAX_NAME_LEN} characters."
        ),
    ))
}

/// `raw` as one of `allowed`, with the `'static` lifetime definitions hold.
fn one_of(key: &str, raw: &str, allowed: &[&'static str]) -> ApiResult<&'static str> {
    allowed.iter().copied().find(|a| *a == raw).ok_or_else(|| {
        field_error(
            key,
            format!(
                "{raw} is not a valid {key}; use one of {}.",
                allowed.join(", ")
            ),
        )
    })
}

/// `raw` as a field type HubSpot knows, with the `'static` lifetime definitions hold.
pub(crate) fn known_field_type(raw: &str) -> Option<&'static str> {
    ALL_FIELD_TYPES.iter().copied().find(|f| *f == raw)
}

fn property_type(raw: &str) -> ApiResult<&'static str> {
    let types: Vec<&'static str> = FIELD_TYPES.iter().map(|(t, _)| *t).collect();
    one_of("type", raw, &types)
}

fn check_pair(ptype: &str, field_type: &str) -> ApiResult<()> {
    let allowed = FIELD_TYPES
        .iter()
        .find(|(t, _)| *t == ptype)
        .map_or(&[][..], |(_, f)| *f);
    if allowed.contains(&field_type) {
        return Ok(());
    }
    Err(field_error(
        "fieldType",
        format!(
            "fieldType {field_type} is not valid for type {ptype}; use one of {}.",
            allowed.join(", ")
        ),
    ))
}

/// The `options` of a body: each with a value and a label, neither given twice.
fn options(body: &Value) -> ApiResult<Option<Vec<PropOption>>> {
    let list = match body.get("options") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(field_error("options", "options must be a list.".into())),
    };
    let (mut values, mut labels) = (HashSet::new(), HashSet::new());
    let mut out = Vec::with_capacity(list.len());
    for (i, option) in list.iter().enumerate() {
        let value = required_text(option, "value")?;
        let label = required_text(option, "label")?;
        if !values.insert(value) || !labels.insert(label.trim()) {
            return Err(field_error(
                "options",
                format!(
                    "Option {i} ({label}: {value}) repeats the value or label of another option."
                ),
            ));
        }
        let display_order = option
            .get("displayOrder")
            .and_then(Value::as_i64)
            .unwrap_or(i as i64);
        out.push(PropOption {
            value: value.to_string(),
            label: label.to_string(),
            hidden: flag(option, "hidden")?.unwrap_or(false),
            display_order,
            description: text(option, "description")?.map(str::to_string),
        });
    }
    Ok(Some(out))
}

fn yes_no() -> Vec<PropOption> {
    YES_NO
        .iter()
        .zip(0..)
        .map(|((value, label), i)| PropOption {
            value: (*value).to_string(),
            label: (*label).to_string(),
            hidden: false,
            display_order: i,
            description: None,
        })
        .collect()
}

/// The fields of `body` kept as sent, those of `v`'s spec only.
fn echoed(body: &Value, v: Version) -> Map<String, Value> {
    ECHOED
        .iter()
        .filter(|k| v == Version::Legacy || !V3_ONLY.contains(k))
        .filter_map(|k| {
            body.get(*k)
                .filter(|x| !x.is_null())
                .map(|x| (k.to_string(), x.clone()))
        })
        .collect()
}

/// An enumeration needs options unless they come from elsewhere or it is calculated.
fn check_has_options(def: &PropDef, body: &Value) -> ApiResult<()> {
    let elsewhere = def.external_options
        || body
            .get("referencedObjectType")
            .is_some_and(|r| !r.is_null())
        || def.field_type == "calculation_equation";
    if def.ptype == "enumeration" && def.options.is_empty() && !elsewhere {
        return Err(field_error(
            "options",
            format!(
                "Enumeration property {} needs at least one option.",
                def.name
            ),
        ));
    }
    Ok(())
}

/// A property to create from a `PropertyCreate` body; `now` stamps it. Whether its name is
/// free and its group exists is the store's to check.
pub(crate) fn new_property(body: &Value, v: Version, now: &str) -> ApiResult<PropDef> {
    if !body.is_object() {
        return Err(ApiError::validation(
            "Invalid input JSON: expected a JSON object",
        ));
    }
    let name = required_text(body, "name")?;
    check_name("Property", name)?;
    let label = required_text(body, "label")?;
    let group = required_text(body, "groupName")?;
    let ptype = property_type(required_text(body, "type")?)?;
    let field_type = one_of(
        "fieldType",
        required_text(body, "fieldType")?,
        ALL_FIELD_TYPES,
    )?;
    check_pair(ptype, field_type)?;
    let mut def = PropDef::new(name, label, ptype, field_type, group);
    def.custom = true;
    def.unique = flag(body, "hasUniqueValue")?.unwrap_or(false);
    def.hidden = flag(body, "hidden")?.unwrap_or(false);
    def.external_options = flag(body, "externalOptions")?.unwrap_or(false);
    def.options = options(body)?.unwrap_or_default();
    if ptype == "bool" && def.options.is_empty() {
        def.options = yes_no();
    }
    check_has_options(&def, body)?;
    def.written = Some(Box::new(Written {
        created_at: now.to_string(),
        updated_at: now.to_string(),
        archived_at: None,
        echo: echoed(body, v),
    }));
    Ok(def)
}

/// `def` changed by a `PropertyUpdate` body. A HubSpot-defined property
/// (`readOnlyDefinition`) keeps its type and field type. `defined_at` stamps the creation of
/// a definition the API did not create. The new group's existence is the store's to check.
pub(crate) fn changed_property(
    def: &PropDef,
    body: &Value,
    v: Version,
    now: &str,
    defined_at: &str,
) -> ApiResult<PropDef> {
    if !body.is_object() {
        return Err(ApiError::validation(
            "Invalid input JSON: expected a JSON object",
        ));
    }
    let mut new = def.clone();
    if let Some(label) = text(body, "label")? {
        new.label = required_text(body, "label").map(|_| label.to_string())?;
    }
    if let Some(group) = text(body, "groupName")? {
        new.group = group.to_string();
    }
    if let Some(raw) = text(body, "type")? {
        new.ptype = property_type(raw)?;
    }
    if let Some(raw) = text(body, "fieldType")? {
        new.field_type = one_of("fieldType", raw, ALL_FIELD_TYPES)?;
    }
    let retyped = new.ptype != def.ptype || new.field_type != def.field_type;
    if retyped && def.read_only_definition() {
        return Err(field_error(
            "type",
            format!(
                "{} is a HubSpot-defined property; its type and fieldType cannot be changed.",
                def.name
            ),
        ));
    }
    check_pair(new.ptype, new.field_type)?;
    if let Some(hidden) = flag(body, "hidden")? {
        new.hidden = hidden;
    }
    if let Some(options) = options(body)? {
        new.options = options;
    }
    check_has_options(&new, body)?;
    let written = new.written.get_or_insert_with(|| {
        Box::new(Written {
            created_at: defined_at.to_string(),
            updated_at: defined_at.to_string(),
            archived_at: None,
            echo: Map::new(),
        })
    });
    written.echo.extend(echoed(body, v));
    written.updated_at = now.to_string();
    Ok(new)
}

/// A group to create from a `PropertyGroupCreate` body.
pub(crate) fn new_group(body: &Value) -> ApiResult<Group> {
    let name = required_text(body, "name")?;
    check_name("Property group", name)?;
    Ok(Group {
        name: name.to_string(),
        label: required_text(body, "label")?.to_string(),
        display_order: body
            .get("displayOrder")
            .and_then(Value::as_i64)
            .unwrap_or(-1),
        archived: false,
    })
}

/// Applies a `PropertyGroupUpdate` body.
pub(crate) fn change_group(group: &mut Group, body: &Value) -> ApiResult<()> {
    if text(body, "label")?.is_some() {
        group.label = required_text(body, "label")?.to_string();
    }
    if let Some(order) = body.get("displayOrder").and_then(Value::as_i64) {
        group.display_order = order;
    }
    Ok(())
}
