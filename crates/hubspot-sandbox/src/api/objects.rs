//! CRUD and batch endpoints of `/crm/v3/objects/{type}` and `/crm/objects/2026-09/{type}`.

use std::collections::HashSet;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{
    AppState, Page, Query, Version, batch_inputs, batch_response, body_json, body_object,
    name_list, now, object_response, object_type, page_response, scalar_string,
};
use crate::error::{ApiError, ApiResult, Detail};
use crate::rules::Rules;
use crate::schema;
use crate::store::{Fields, ObjectsOut, ReadOpts, Snapshot, Store};
use crate::{Shared, lock};

/// Batch endpoints take at most this many inputs.
pub(crate) const BATCH_LIMIT: usize = 100;
const LIST_MAX: usize = 100;

/// Validates and creates one object from a `{properties, associations}` input.
pub(crate) fn create_one(
    store: &mut Store,
    otype: &str,
    input: &Value,
    extra: Option<(String, String)>,
    rules: &Rules,
) -> ApiResult<u64> {
    if !input.is_object() {
        return Err(ApiError::validation(
            "Invalid input JSON: expected a JSON object",
        ));
    }
    let mut props = store.validate_props(otype, input.get("properties"), None)?;
    if let Some((k, v)) = extra
        && !props.iter().any(|(p, _)| *p == k)
    {
        props.push((k, v));
    }
    if otype == "leads" {
        let name_ok = props
            .iter()
            .any(|(k, v)| k == "hs_lead_name" && !v.trim().is_empty());
        if !name_ok {
            return Err(ApiError::validation(
                "Property values were not valid: hs_lead_name is required",
            )
            .with_errors(&[Detail {
                message: "Property \"hs_lead_name\" is required and cannot be blank".into(),
                code: Some("REQUIRED_PROPERTY".into()),
                context: Some(json!({"propertyName": ["hs_lead_name"]})),
            }]));
        }
    }
    rules.check(otype, &props, None)?;
    let assocs = store.validate_assocs(otype, input.get("associations"))?;
    let id = store.insert(otype, props);
    for a in assocs {
        for (cat, tid) in a.types {
            store.associate(id, a.to_id, cat, tid);
        }
    }
    Ok(id)
}

/// Validates and applies a `{properties}` input to the live object `id`.
fn update_one(
    store: &mut Store,
    otype: &str,
    id: u64,
    input: &Value,
    rules: &Rules,
) -> ApiResult<()> {
    let props = store.validate_props(otype, input.get("properties"), Some(id))?;
    rules.check(otype, &props, store.get(otype, id))?;
    store.update(otype, id, props);
    Ok(())
}

pub(crate) async fn create(
    State(s): State<AppState>,
    Extension(v): Extension<Version>,
    Path(otype): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let input = body_object(&body)?;
    let rules = v.rules(&s, &otype);
    let (fields, snap) = {
        let mut store = lock(&s.store);
        let id = create_one(&mut store, &otype, &input, None, &rules)?;
        let fields = store.all_fields(&otype);
        let snap = store
            .snapshot_of(&fields, id)
            .ok_or_else(ApiError::not_found_object)?;
        (fields, snap)
    };
    Ok(object_response(StatusCode::CREATED, &fields, &snap))
}

pub(crate) async fn read(
    State(s): State<AppState>,
    Path((otype, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let q = Query::parse(q.as_deref());
    let archived = q.flag("archived")?;
    let opts = q.read_opts(&s)?;
    let (fields, snap) = {
        let mut store = lock(&s.store);
        let id = store
            .resolve(&otype, &id, q.get("idProperty"), archived)?
            .ok_or_else(ApiError::not_found_object)?;
        let fields = store.fields(&otype, &opts);
        let snap = store
            .snapshot_of(&fields, id)
            .ok_or_else(ApiError::not_found_object)?;
        (fields, snap)
    };
    Ok(object_response(StatusCode::OK, &fields, &snap))
}

pub(crate) async fn list(
    State(s): State<AppState>,
    Extension(v): Extension<Version>,
    Path(otype): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let q = Query::parse(q.as_deref());
    let page = list_page(&s, v, &otype, &q)?;
    Ok(page_response(&page))
}

/// A page of the list of `otype`, copied out of the store: the lock is held only to pick the
/// objects (pointers) and their requested associations; the answer is built and serialized
/// after it is released.
pub(crate) fn list_page(s: &Shared, v: Version, otype: &str, q: &Query) -> ApiResult<Page> {
    let archived = q.flag("archived")?;
    let opts = q.read_opts(s)?;
    let limit = (q.number("limit")?.unwrap_or(10) as usize).clamp(1, LIST_MAX);
    let after = match q.get("after") {
        None | Some("") => 0,
        Some(a) => a.trim().parse::<u64>().map_err(|_| {
            ApiError::validation(format!("\"{a}\" is not a valid paging cursor (after)"))
        })?,
    };
    let (fields, mut results) = {
        let mut store = lock(&s.store);
        store.type_store(otype);
        let store = &*store;
        let fields = store.fields(otype, &opts);
        let ts = store
            .type_store_ref(otype)
            .ok_or_else(ApiError::not_found_object)?;
        let results: Vec<Snapshot> = ts
            .objects
            .range(after..)
            .map(|(_, o)| o)
            .filter(|o| o.archived() == archived)
            .take(limit + 1)
            .map(|o| store.snapshot(&fields, o))
            .collect();
        (fields, results)
    };
    let next = (results.len() > limit)
        .then(|| results.pop().map(|o| o.obj.id))
        .flatten();
    let paging = next.map(|n| {
        json!({"next": {
            "after": n.to_string(),
            "link": format!("{}{}/{otype}?after={n}", s.base_url, v.objects()),
        }})
    });
    Ok(Page {
        total: None,
        fields,
        results,
        paging,
    })
}

pub(crate) async fn update(
    State(s): State<AppState>,
    Extension(v): Extension<Version>,
    Path((otype, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let q = Query::parse(q.as_deref());
    let input = body_object(&body)?;
    let rules = v.rules(&s, &otype);
    let (fields, snap) = {
        let mut store = lock(&s.store);
        let id = store
            .resolve(&otype, &id, q.get("idProperty"), false)?
            .ok_or_else(ApiError::not_found_object)?;
        update_one(&mut store, &otype, id, &input, &rules)?;
        let fields = store.all_fields(&otype);
        let snap = store
            .snapshot_of(&fields, id)
            .ok_or_else(ApiError::not_found_object)?;
        (fields, snap)
    };
    Ok(object_response(StatusCode::OK, &fields, &snap))
}

pub(crate) async fn archive(
    State(s): State<AppState>,
    Path((otype, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let q = Query::parse(q.as_deref());
    let mut store = lock(&s.store);
    // Deleting something already gone is not an error at HubSpot either.
    if let Some(id) = store.resolve(&otype, &id, q.get("idProperty"), false)? {
        store.archive(&otype, id);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn batch(
    State(s): State<AppState>,
    Extension(v): Extension<Version>,
    Path((otype, op)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    if !matches!(
        op.as_str(),
        "read" | "create" | "update" | "upsert" | "archive"
    ) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            format!("Unknown batch operation: {op}"),
        ));
    }
    let body = body_json(&body)?;
    let inputs = batch_inputs(&body, BATCH_LIMIT)?;
    let q = Query::parse(q.as_deref());
    let rules = v.rules(&s, &otype);
    let started = now();
    let answer = {
        let mut store = lock(&s.store);
        store.type_store(&otype);
        match op.as_str() {
            "read" => {
                let archived = q.flag("archived")?;
                let delay = s.config.index_delay;
                batch_read(&mut store, &otype, &body, inputs, archived, delay)?
            }
            "create" => batch_create(&mut store, &otype, inputs, &rules)?,
            "update" => batch_update(&mut store, &otype, inputs, &rules)?,
            "upsert" => batch_upsert(&mut store, &otype, inputs, &rules),
            _ => {
                for input in inputs {
                    let raw = input.get("id").and_then(scalar_string).unwrap_or_default();
                    if let Ok(Some(id)) = store.resolve(&otype, &raw, None, false) {
                        store.archive(&otype, id);
                    }
                }
                return Ok(StatusCode::NO_CONTENT.into_response());
            }
        }
    };
    Ok(batch_response(
        answer.ok_status,
        started,
        ObjectsOut {
            fields: &answer.fields,
            snaps: &answer.results,
        },
        answer.errors,
    ))
}

/// A batch answer copied out of the store, serialized after the lock is released.
struct BatchAnswer {
    ok_status: StatusCode,
    fields: Fields,
    results: Vec<Snapshot>,
    errors: Vec<Value>,
}

/// The `objectWriteTraceId` of a batch input, if it has a non-blank one.
fn trace_id(input: &Value) -> Option<String> {
    input
        .get("objectWriteTraceId")
        .and_then(scalar_string)
        .filter(|t| !t.trim().is_empty())
}

/// Whether every input carries its own `objectWriteTraceId`: HubSpot's condition for
/// answering a batch create's failures per input (207) instead of failing the whole batch.
fn traces_are_unique(inputs: &[Value]) -> bool {
    let mut seen = HashSet::new();
    inputs
        .iter()
        .all(|i| trace_id(i).is_some_and(|t| seen.insert(t)))
}

fn trace_context(input: &Value) -> Value {
    match trace_id(input) {
        Some(t) => json!({"objectWriteTraceId": [t]}),
        None => json!({}),
    }
}

fn not_found_message(otype: &str) -> String {
    format!(
        "Could not get some {} objects, they may be deleted or not exist. Check that ids are valid.",
        schema::upper_singular(otype)
    )
}

fn batch_read(
    store: &mut Store,
    otype: &str,
    body: &Value,
    inputs: &[Value],
    archived: bool,
    index_delay: Option<Duration>,
) -> ApiResult<BatchAnswer> {
    let id_property = body.get("idProperty").and_then(Value::as_str);
    // Reads by a unique property go through the search index, which lags behind writes.
    let by_index = id_property.is_some_and(|p| !p.is_empty() && p != "hs_object_id");
    let now = chrono::Utc::now();
    let opts = ReadOpts {
        properties: name_list(body.get("properties")).filter(|p| !p.is_empty()),
        history: name_list(body.get("propertiesWithHistory")).unwrap_or_default(),
        associations: Vec::new(),
    };
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for input in inputs {
        let raw = input.get("id").and_then(scalar_string).unwrap_or_default();
        let resolved = store
            .resolve(otype, &raw, id_property, archived)?
            .filter(|id| {
                !by_index
                    || store
                        .get(otype, *id)
                        .is_some_and(|o| crate::store::indexed(o, index_delay, now))
            });
        match resolved {
            Some(id) => {
                if seen.insert(id) {
                    found.push(id);
                }
            }
            None => missing.push(raw),
        }
    }
    let fields = store.fields(otype, &opts);
    let results = found
        .iter()
        .filter_map(|id| store.snapshot_of(&fields, *id))
        .collect();
    let errors = if missing.is_empty() {
        Vec::new()
    } else {
        vec![ApiError::not_found(not_found_message(otype)).to_batch_error(json!({"ids": missing}))]
    };
    Ok(BatchAnswer {
        ok_status: StatusCode::OK,
        fields,
        results,
        errors,
    })
}

/// Creates each input in turn. When every input has a unique `objectWriteTraceId`, failures
/// are reported per input (207, tied by trace id); otherwise the first failure fails the
/// whole batch and what it created so far is undone.
fn batch_create(
    store: &mut Store,
    otype: &str,
    inputs: &[Value],
    rules: &Rules,
) -> ApiResult<BatchAnswer> {
    store.repeated_unique(otype, inputs)?;
    let per_input = traces_are_unique(inputs);
    let mark = store.mark();
    let fields = store.all_fields(otype);
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        match create_one(store, otype, input, None, rules) {
            Ok(id) => {
                if let Some(snap) = store.snapshot_of(&fields, id) {
                    results.push(match trace_id(input) {
                        Some(t) => snap.with("objectWriteTraceId", Value::String(t)),
                        None => snap,
                    });
                }
            }
            Err(e) if per_input => errors.push(e.to_batch_error(trace_context(input))),
            Err(e) => {
                store.discard_since(mark);
                return Err(e);
            }
        }
    }
    Ok(BatchAnswer {
        ok_status: StatusCode::CREATED,
        fields,
        results,
        errors,
    })
}

fn batch_update(
    store: &mut Store,
    otype: &str,
    inputs: &[Value],
    rules: &Rules,
) -> ApiResult<BatchAnswer> {
    let mut ids = HashSet::new();
    for input in inputs {
        let raw = input.get("id").and_then(scalar_string).unwrap_or_default();
        if !ids.insert(raw) {
            return Err(ApiError::validation("Duplicate IDs found in batch input"));
        }
    }
    let fields = store.all_fields(otype);
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        let raw = input.get("id").and_then(scalar_string).unwrap_or_default();
        let mut ctx = trace_context(input);
        ctx["ids"] = json!([raw]);
        let id_property = input.get("idProperty").and_then(Value::as_str);
        let outcome = store
            .resolve(otype, &raw, id_property, false)
            .and_then(|id| id.ok_or_else(|| ApiError::not_found(not_found_message(otype))))
            .and_then(|id| update_one(store, otype, id, input, rules).map(|()| id));
        match outcome {
            Ok(id) => results.extend(store.snapshot_of(&fields, id)),
            Err(e) => errors.push(e.to_batch_error(ctx)),
        }
    }
    Ok(BatchAnswer {
        ok_status: StatusCode::OK,
        fields,
        results,
        errors,
    })
}

fn batch_upsert(store: &mut Store, otype: &str, inputs: &[Value], rules: &Rules) -> BatchAnswer {
    let fields = store.all_fields(otype);
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        let raw = input.get("id").and_then(scalar_string).unwrap_or_default();
        let id_property = input
            .get("idProperty")
            .and_then(Value::as_str)
            .unwrap_or("hs_object_id")
            .to_string();
        let mut ctx = trace_context(input);
        ctx["ids"] = json!([raw]);
        let outcome = store
            .resolve(otype, &raw, Some(&id_property), false)
            .and_then(|existing| match existing {
                Some(id) => {
                    update_one(store, otype, id, input, rules)?;
                    Ok((id, false))
                }
                None if id_property == "hs_object_id" => {
                    Err(ApiError::not_found(not_found_message(otype)))
                }
                None => {
                    let id = create_one(
                        store,
                        otype,
                        input,
                        Some((id_property.clone(), raw.clone())),
                        rules,
                    )?;
                    Ok((id, true))
                }
            });
        match outcome {
            Ok((id, new)) => {
                if let Some(snap) = store.snapshot_of(&fields, id) {
                    results.push(snap.with("new", Value::Bool(new)));
                }
            }
            Err(e) => errors.push(e.to_batch_error(ctx)),
        }
    }
    BatchAnswer {
        ok_status: StatusCode::OK,
        fields,
        results,
        errors,
    }
}
