//! The Properties API (`/crm/v3/properties/{objectType}` and
//! `/crm/properties/2026-09/{objectType}`): definitions and groups, read and written. A
//! created property is checked and indexed like the configured ones from its first write
//! (see `store::defs`); bodies are read in `property_input`.

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::property_input::{change_group, changed_property, new_group, new_property};
use super::{AppState, Query, Version, body_json, body_object, json, json_out, now, object_type};
use crate::error::{ApiError, ApiResult};
use crate::schema::PropDef;
use crate::store::{TypeStore, fmt_time};
use crate::{Shared, lock};

/// Fixed creation stamp for built-in definitions.
const DEFINED_AT: &str = "2019-08-06T02:41:52.000Z";

/// The answer for a live definition: its place among the type's definitions orders it.
fn live_json(ts: &TypeStore, def: &PropDef) -> Value {
    let place = ts.defs().iter().position(|d| d.name == def.name);
    def.to_json(place.unwrap_or(0), DEFINED_AT)
}

/// The type's live definitions (configured and created ones included), or with `archived`
/// those in the recycling bin (properties spec: `archived` on the list).
fn definitions(s: &Shared, otype: &str, archived: bool) -> Vec<Value> {
    let mut store = lock(&s.store);
    let ts = store.type_store(otype);
    let defs = if archived {
        ts.archived_defs()
    } else {
        ts.defs()
    };
    let mut defs: Vec<Value> = defs
        .iter()
        .enumerate()
        .map(|(i, p)| p.to_json(i, DEFINED_AT))
        .collect();
    // The pipeline and stage properties list the pipelines store's ids as their options.
    crate::pipelines::list_options(&store.pipelines, otype, &mut defs);
    defs
}

fn property_not_found(name: &str, otype: &str) -> ApiError {
    ApiError::not_found(format!(
        "Unable to find property {name} for object type {otype}"
    ))
}

pub(crate) async fn list(
    State(s): State<AppState>,
    Path(otype): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let archived = Query::parse(q.as_deref()).flag("archived")?;
    Ok(json(
        StatusCode::OK,
        json!({"results": definitions(&s, &otype, archived)}),
    ))
}

pub(crate) async fn get(
    State(s): State<AppState>,
    Path((otype, name)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let archived = Query::parse(q.as_deref()).flag("archived")?;
    let mut store = lock(&s.store);
    let ts = store.type_store(&otype);
    let found = if archived {
        ts.archived_def(&name).map(|d| d.to_json(0, DEFINED_AT))
    } else {
        ts.prop(&name).map(|d| live_json(ts, d))
    };
    let mut found = found.ok_or_else(|| property_not_found(&name, &otype))?;
    crate::pipelines::list_options(&store.pipelines, &otype, std::slice::from_mut(&mut found));
    Ok(json(StatusCode::OK, found))
}

/// Adds the property a create body describes: 409 `CONFLICT` when the type has a property of
/// that name (archived ones keep theirs), 400 for an unknown group or a bad body.
fn create_one(ts: &mut TypeStore, otype: &str, body: &Value, v: Version) -> ApiResult<Value> {
    let def = new_property(body, v, &fmt_time(now()))?;
    let name = def.name.clone();
    ts.add_def(otype, def)?;
    Ok(ts.prop(&name).map_or(Value::Null, |d| live_json(ts, d)))
}

pub(crate) async fn create(
    State(s): State<AppState>,
    Extension(v): Extension<Version>,
    Path(otype): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let body = body_object(&body)?;
    let mut store = lock(&s.store);
    let created = create_one(store.type_store(&otype), &otype, &body, v)?;
    Ok(json(StatusCode::CREATED, created))
}

pub(crate) async fn update(
    State(s): State<AppState>,
    Extension(v): Extension<Version>,
    Path((otype, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let body = body_object(&body)?;
    let mut store = lock(&s.store);
    let ts = store.type_store(&otype);
    let def = ts
        .prop(&name)
        .ok_or_else(|| property_not_found(&name, &otype))?;
    let changed = changed_property(def, &body, v, &fmt_time(now()), DEFINED_AT)?;
    if changed.group != def.group {
        ts.check_group(&changed.group)?;
    }
    ts.replace_def(changed);
    let answer = ts.prop(&name).map_or(Value::Null, |d| live_json(ts, d));
    Ok(json(StatusCode::OK, answer))
}

/// Refuses to archive what HubSpot defines or calculates
/// (`modificationMetadata.archivable`).
fn check_archivable(def: &PropDef) -> ApiResult<()> {
    if def.archivable() {
        return Ok(());
    }
    Err(ApiError::validation(format!(
        "Property {} cannot be archived: it is defined by HubSpot or read-only.",
        def.name
    )))
}

pub(crate) async fn archive(
    State(s): State<AppState>,
    Path((otype, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let mut store = lock(&s.store);
    let ts = store.type_store(&otype);
    let def = ts
        .prop(&name)
        .ok_or_else(|| property_not_found(&name, &otype))?;
    check_archivable(def)?;
    ts.archive_def(&name, &fmt_time(now()));
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The `inputs` of a property batch (the properties spec gives no limit on their number).
fn inputs(body: &Value) -> ApiResult<&Vec<Value>> {
    body.get("inputs")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::validation("Invalid input JSON: inputs must be a list"))
}

/// A batch answer: `results`, and per-input `errors`. v3 answers `ok` or, with errors,
/// 207; the 2026-09 spec lists only 200 for these batches.
fn batch_answer(v: Version, ok: StatusCode, results: Vec<Value>, errors: Vec<Value>) -> Response {
    let status = match (v, errors.is_empty()) {
        (Version::V2026_09, _) => StatusCode::OK,
        (Version::Legacy, true) => ok,
        (Version::Legacy, false) => StatusCode::MULTI_STATUS,
    };
    let stamp = fmt_time(now());
    let mut body = json!({
        "status": "COMPLETE",
        "results": results,
        "startedAt": stamp,
        "completedAt": stamp,
    });
    if !errors.is_empty() {
        body["numErrors"] = json!(errors.len());
        body["errors"] = json!(errors);
    }
    json_out(status, &body)
}

fn input_name(input: &Value) -> &str {
    input.get("name").and_then(Value::as_str).unwrap_or("")
}

/// Creates each input that can be (properties spec v3: 201, or 207 with the refused ones).
fn batch_create(ts: &mut TypeStore, otype: &str, inputs: &[Value], v: Version) -> Response {
    let (mut results, mut errors) = (Vec::new(), Vec::new());
    for input in inputs {
        match create_one(ts, otype, input, v) {
            Ok(created) => results.push(created),
            Err(e) => errors.push(e.to_batch_error(json!({"propertyName": [input_name(input)]}))),
        }
    }
    batch_answer(v, StatusCode::CREATED, results, errors)
}

/// Reads each named property, live or (with `archived`) archived; a missing one is an
/// `OBJECT_NOT_FOUND` item error.
fn batch_read(ts: &TypeStore, otype: &str, body: &Value, inputs: &[Value], v: Version) -> Response {
    let archived = body
        .get("archived")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let (mut results, mut errors) = (Vec::new(), Vec::new());
    for input in inputs {
        let name = input_name(input);
        let found = if archived {
            ts.archived_def(name).map(|d| d.to_json(0, DEFINED_AT))
        } else {
            ts.prop(name).map(|d| live_json(ts, d))
        };
        match found {
            Some(p) => results.push(p),
            None => errors.push(
                property_not_found(name, otype).to_batch_error(json!({"propertyName": [name]})),
            ),
        }
    }
    batch_answer(v, StatusCode::OK, results, errors)
}

/// Archives every named live property: 204 whatever each one's state (properties spec:
/// "regardless of the initial state ... active, already archived, non-existent"); one that
/// cannot be archived refuses the batch before anything is archived.
fn batch_archive(ts: &mut TypeStore, inputs: &[Value]) -> ApiResult<Response> {
    for input in inputs {
        if let Some(def) = ts.prop(input_name(input)) {
            check_archivable(def)?;
        }
    }
    let at = fmt_time(now());
    for input in inputs {
        ts.archive_def(input_name(input), &at);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn batch(
    State(s): State<AppState>,
    Extension(v): Extension<Version>,
    Path((otype, op)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let body = body_json(&body)?;
    let inputs = inputs(&body)?;
    let mut store = lock(&s.store);
    let ts = store.type_store(&otype);
    match op.as_str() {
        "create" => Ok(batch_create(ts, &otype, inputs, v)),
        "read" => Ok(batch_read(ts, &otype, &body, inputs, v)),
        "archive" => batch_archive(ts, inputs),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            format!("Unknown batch operation: {op}"),
        )),
    }
}

fn group_not_found(name: &str, otype: &str) -> ApiError {
    ApiError::not_found(format!(
        "Unable to find property group {name} for object type {otype}"
    ))
}

pub(crate) async fn groups(
    State(s): State<AppState>,
    Path(otype): Path<String>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let mut store = lock(&s.store);
    let results: Vec<Value> = store
        .type_store(&otype)
        .groups()
        .map(|g| g.to_json())
        .collect();
    Ok(json(StatusCode::OK, json!({"results": results})))
}

pub(crate) async fn group(
    State(s): State<AppState>,
    Path((otype, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let mut store = lock(&s.store);
    let group = store.type_store(&otype).group(&name).map(|g| g.to_json());
    group
        .map(|g| json(StatusCode::OK, g))
        .ok_or_else(|| group_not_found(&name, &otype))
}

pub(crate) async fn create_group(
    State(s): State<AppState>,
    Path(otype): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let group = new_group(&body_object(&body)?)?;
    let mut store = lock(&s.store);
    let created = store.type_store(&otype).add_group(&otype, group)?.to_json();
    Ok(json(StatusCode::CREATED, created))
}

pub(crate) async fn update_group(
    State(s): State<AppState>,
    Path((otype, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let body = body_object(&body)?;
    let mut store = lock(&s.store);
    let group = store
        .type_store(&otype)
        .group_mut(&name)
        .ok_or_else(|| group_not_found(&name, &otype))?;
    change_group(group, &body)?;
    Ok(json(StatusCode::OK, group.to_json()))
}

pub(crate) async fn archive_group(
    State(s): State<AppState>,
    Path((otype, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let mut store = lock(&s.store);
    store.type_store(&otype).archive_group(&name)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
