//! Association endpoints: v3 per-object, and per-object, batch and labels of v4 and 2026-09.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{
    AppState, Query, Version, batch_inputs, batch_response, body_json, json, now, object_response,
    object_type,
};
use crate::error::{ApiError, ApiResult};
use crate::lock;
use crate::schema::{self, Category};
use crate::store::{
    AssocType, ReadOpts, Store, check_assoc_type, id_value, parse_assoc_types, v3_assoc_results,
};

/// v4 pages hold at most this many associated objects.
const V4_PAGE_MAX: u64 = 500;
/// v4 batch read takes at most this many inputs.
const V4_READ_LIMIT: usize = 1000;
/// v4 batch create and archive take at most this many inputs.
const V4_WRITE_LIMIT: usize = 2000;

/// Targets per input of a batch read: 2026-09 pages them (HubSpot's page size or the
/// configured one), v4 answers all.
fn batch_read_page(s: &AppState, v: Version) -> Option<usize> {
    match v {
        Version::Legacy => None,
        Version::V2026_09 => Some(s.config.association_page()),
    }
}

/// What a batch archive answers: the batch result (`results: []`) with the inputs that
/// failed, 207 when some did. Without failures v4 answers 204 without a body, 2026-09 (per
/// its spec) 200 with the empty batch result.
fn archived(v: Version, started: chrono::DateTime<chrono::Utc>, errors: Vec<Value>) -> Response {
    match v {
        Version::Legacy if errors.is_empty() => StatusCode::NO_CONTENT.into_response(),
        Version::Legacy | Version::V2026_09 => {
            batch_response(StatusCode::OK, started, Vec::<Value>::new(), errors)
        }
    }
}

/// The live record of `otype` an input's id names, or the batch item's
/// `OBJECT_NOT_FOUND` naming `raw`.
fn live_input(store: &Store, otype: &str, id: Option<u64>, raw: &str) -> ApiResult<u64> {
    id.filter(|id| store.live(otype, *id).is_some())
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "No {} with id {raw} exists.",
                schema::singular(otype)
            ))
        })
}

/// The `after` cursor of a batch read input: the first target id of the page.
fn input_after(input: &Value) -> ApiResult<u64> {
    match input.get("after") {
        None | Some(Value::Null) => Ok(0),
        Some(a) => {
            let raw = super::scalar_string(a).unwrap_or_else(|| a.to_string());
            if raw.trim().is_empty() {
                return Ok(0);
            }
            raw.trim().parse().map_err(|_| {
                ApiError::validation(format!("\"{raw}\" is not a valid paging cursor (after)"))
            })
        }
    }
}

fn live_id(store: &Store, otype: &str, raw: &str) -> ApiResult<u64> {
    raw.trim()
        .parse::<u64>()
        .ok()
        .filter(|id| store.live(otype, *id).is_some())
        .ok_or_else(ApiError::not_found_object)
}

fn type_json(from: &str, to: &str, (cat, tid): AssocType) -> Value {
    let label = schema::assoc_def(from, to, tid).and_then(|d| d.label);
    json!({"category": cat.as_str(), "typeId": tid, "label": label})
}

/// A pair as v4 answers it, from the types stored between the two (copied out of the store).
fn pair_json(from: &str, to: &str, a: u64, b: u64, types: &[AssocType]) -> Value {
    let labels: Vec<Value> = types
        .iter()
        .filter_map(|(_, t)| schema::assoc_def(from, to, *t).and_then(|d| d.label))
        .map(|l| Value::String(l.to_string()))
        .collect();
    json!({
        "fromObjectTypeId": schema::type_id(from),
        "fromObjectId": a,
        "toObjectTypeId": schema::type_id(to),
        "toObjectId": b,
        "labels": labels,
    })
}

/// v4 `{toObjectId, associationTypes}` entries, from copied edges.
fn v4_results(from: &str, to: &str, edges: &[(u64, Vec<AssocType>)]) -> Vec<Value> {
    edges
        .iter()
        .map(|(b, types)| {
            let types: Vec<Value> = types.iter().map(|t| type_json(from, to, *t)).collect();
            json!({"toObjectId": b, "associationTypes": types})
        })
        .collect()
}

pub(crate) async fn v3_list(
    State(s): State<AppState>,
    Path((otype, id, to_type)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let (otype, to_type) = (object_type(&s, &otype)?, object_type(&s, &to_type)?);
    let edges = {
        let store = lock(&s.store);
        let id = live_id(&store, &otype, &id)?;
        store.assoc_list(id, &to_type, 0)
    };
    let results = v3_assoc_results(&otype, &to_type, &edges);
    Ok(json(StatusCode::OK, json!({"results": results})))
}

pub(crate) async fn v3_put(
    State(s): State<AppState>,
    Path((otype, id, to_type, to_id, type_id)): Path<(String, String, String, String, String)>,
) -> ApiResult<Response> {
    let (otype, to_type) = (object_type(&s, &otype)?, object_type(&s, &to_type)?);
    let tid: u32 = type_id
        .trim()
        .parse()
        .map_err(|_| ApiError::validation(format!("Invalid association type: {type_id}")))?;
    let (fields, snap) = {
        let mut store = lock(&s.store);
        let from = live_id(&store, &otype, &id)?;
        let to = live_id(&store, &to_type, &to_id)?;
        let cat =
            schema::assoc_def(&otype, &to_type, tid).map_or(Category::Hubspot, |d| d.category);
        check_assoc_type(&otype, &to_type, cat, tid)?;
        store.associate(from, to, cat, tid);
        let targets: BTreeSet<String> = store.assoc_target_types(from);
        let opts = ReadOpts {
            associations: targets.into_iter().collect(),
            ..ReadOpts::default()
        };
        let fields = store.fields(&otype, &opts);
        let snap = store
            .snapshot_of(&fields, from)
            .ok_or_else(ApiError::not_found_object)?;
        (fields, snap)
    };
    Ok(object_response(StatusCode::OK, &fields, &snap))
}

pub(crate) async fn v3_delete(
    State(s): State<AppState>,
    Path((otype, id, to_type, to_id, type_id)): Path<(String, String, String, String, String)>,
) -> ApiResult<Response> {
    let (otype, to_type) = (object_type(&s, &otype)?, object_type(&s, &to_type)?);
    let tid: u32 = type_id
        .trim()
        .parse()
        .map_err(|_| ApiError::validation(format!("Invalid association type: {type_id}")))?;
    let mut store = lock(&s.store);
    let from = live_id(&store, &otype, &id)?;
    let to = live_id(&store, &to_type, &to_id)?;
    store.dissociate(from, to, Some(tid));
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn v4_list(
    State(s): State<AppState>,
    Path((otype, id, to_type)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let (otype, to_type) = (object_type(&s, &otype)?, object_type(&s, &to_type)?);
    let q = Query::parse(q.as_deref());
    let limit = q
        .number("limit")?
        .unwrap_or(V4_PAGE_MAX)
        .clamp(1, V4_PAGE_MAX) as usize;
    let after = q.number("after")?.unwrap_or(0);
    let (id, mut page) = {
        let store = lock(&s.store);
        let id = live_id(&store, &otype, &id)?;
        let page: Vec<(u64, Vec<AssocType>)> = store
            .assocs_to(id, &to_type, after)
            .take(limit + 1)
            .map(|(to, types)| (to, types.to_vec()))
            .collect();
        (id, page)
    };
    let next = (page.len() > limit)
        .then(|| page.pop().map(|(to, _)| to))
        .flatten();
    let results = v4_results(&otype, &to_type, &page);
    let mut v = json!({"results": results});
    if let Some(n) = next {
        v["paging"] = json!({"next": {
            "after": n.to_string(),
            "link": format!("{}/crm/v4/objects/{otype}/{id}/associations/{to_type}?after={n}", s.base_url),
        }});
    }
    Ok(json(StatusCode::OK, v))
}

pub(crate) async fn pair_put(
    State(s): State<AppState>,
    Path((otype, id, to_type, to_id)): Path<(String, String, String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let (otype, to_type) = (object_type(&s, &otype)?, object_type(&s, &to_type)?);
    let body = body_json(&body)?;
    let types = parse_assoc_types(Some(&body))?;
    if types.is_empty() {
        return Err(ApiError::validation(
            "At least one association type is required",
        ));
    }
    let (from, to, stored) = {
        let mut store = lock(&s.store);
        let from = live_id(&store, &otype, &id)?;
        let to = live_id(&store, &to_type, &to_id)?;
        for &(cat, tid) in &types {
            check_assoc_type(&otype, &to_type, cat, tid)?;
        }
        for (cat, tid) in types {
            store.associate(from, to, cat, tid);
        }
        (from, to, store.assoc_types_between(from, to))
    };
    Ok(json(
        StatusCode::CREATED,
        pair_json(&otype, &to_type, from, to, &stored),
    ))
}

pub(crate) async fn pair_delete(
    State(s): State<AppState>,
    Path((otype, id, to_type, to_id)): Path<(String, String, String, String)>,
) -> ApiResult<Response> {
    let (otype, to_type) = (object_type(&s, &otype)?, object_type(&s, &to_type)?);
    let mut store = lock(&s.store);
    let from = live_id(&store, &otype, &id)?;
    let to = live_id(&store, &to_type, &to_id)?;
    store.dissociate(from, to, None);
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn default_json(from_id: u64, to_id: u64, (cat, tid): AssocType) -> Value {
    json!({
        "from": {"id": from_id.to_string()},
        "to": {"id": to_id.to_string()},
        "associationSpec": {"associationCategory": cat.as_str(), "associationTypeId": tid},
    })
}

pub(crate) async fn pair_put_default(
    State(s): State<AppState>,
    Path((otype, id, to_type, to_id)): Path<(String, String, String, String)>,
) -> ApiResult<Response> {
    let (otype, to_type) = (object_type(&s, &otype)?, object_type(&s, &to_type)?);
    let started = now();
    let mut store = lock(&s.store);
    let from = live_id(&store, &otype, &id)?;
    let to = live_id(&store, &to_type, &to_id)?;
    let (cat, tid) = schema::default_assoc(&otype, &to_type);
    store.associate(from, to, cat, tid);
    Ok(batch_response(
        StatusCode::OK,
        started,
        vec![default_json(from, to, (cat, tid))],
        Vec::new(),
    ))
}

pub(crate) async fn labels(
    State(s): State<AppState>,
    Path((from, to)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (from, to) = (object_type(&s, &from)?, object_type(&s, &to)?);
    let mut results: Vec<Value> = schema::assoc_defs(&from, &to)
        .map(|d| json!({"category": d.category.as_str(), "typeId": d.type_id, "label": d.label}))
        .collect();
    if results.is_empty() {
        // Pairs without a table still have their (unlabeled) default type.
        let (cat, tid) = schema::default_assoc(&from, &to);
        results.push(json!({"category": cat.as_str(), "typeId": tid, "label": null}));
    }
    // Association definitions of custom object schemas (see `custom::Registry`).
    let defined = lock(&s.store)
        .schemas
        .associations_between(&from, &to)
        .map(|d| json!({"category": Category::User.as_str(), "typeId": d.id, "label": null}))
        .collect::<Vec<_>>();
    results.extend(defined);
    Ok(json(StatusCode::OK, json!({"results": results})))
}

fn input_id(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(|o| o.get("id")).and_then(id_value)
}

fn raw_input_id(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(|o| o.get("id"))
        .and_then(super::scalar_string)
        .unwrap_or_default()
}

pub(crate) async fn batch(
    State(s): State<AppState>,
    Extension(v): Extension<Version>,
    Path((from, to, op)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let (from, to) = (object_type(&s, &from)?, object_type(&s, &to)?);
    let body = body_json(&body)?;
    let started = now();
    match op.as_str() {
        "create" => {
            let inputs = batch_inputs(&body, V4_WRITE_LIMIT)?;
            let mut store = lock(&s.store);
            let mut pairs = Vec::new();
            let mut errors = Vec::new();
            for input in inputs {
                let outcome = (|| {
                    let a = input_id(input, "from").filter(|id| store.live(&from, *id).is_some());
                    let b = input_id(input, "to").filter(|id| store.live(&to, *id).is_some());
                    let (Some(a), Some(b)) = (a, b) else {
                        return Err(ApiError::not_found(format!(
                            "No {} with id {} or no {} with id {} exists.",
                            schema::singular(&from),
                            raw_input_id(input, "from"),
                            schema::singular(&to),
                            raw_input_id(input, "to"),
                        )));
                    };
                    let types = parse_assoc_types(input.get("types"))?;
                    for &(cat, tid) in &types {
                        check_assoc_type(&from, &to, cat, tid)?;
                    }
                    Ok((a, b, types))
                })();
                match outcome {
                    Ok((a, b, types)) => {
                        for (cat, tid) in types {
                            store.associate(a, b, cat, tid);
                        }
                        pairs.push((a, b, store.assoc_types_between(a, b)));
                    }
                    Err(e) => errors.push(e.to_batch_error(json!({
                        "fromObjectId": [raw_input_id(input, "from")],
                        "toObjectId": [raw_input_id(input, "to")],
                    }))),
                }
            }
            drop(store);
            let results: Vec<Value> = pairs
                .iter()
                .map(|(a, b, types)| pair_json(&from, &to, *a, *b, types))
                .collect();
            // The 2026-09 spec answers 200 where v4 answers 201.
            let ok = match v {
                Version::Legacy => StatusCode::CREATED,
                Version::V2026_09 => StatusCode::OK,
            };
            Ok(batch_response(ok, started, results, errors))
        }
        "read" => {
            let inputs = batch_inputs(&body, V4_READ_LIMIT)?;
            let page = batch_read_page(&s, v);
            let store = lock(&s.store);
            let mut found = Vec::new();
            let mut errors = Vec::new();
            for input in inputs {
                let raw = input
                    .get("id")
                    .and_then(super::scalar_string)
                    .unwrap_or_default();
                let Some(id) = raw
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|id| store.live(&from, *id).is_some())
                else {
                    errors.push(
                        ApiError::not_found(format!(
                            "No {} with id {raw} exists.",
                            schema::singular(&from)
                        ))
                        .to_batch_error(json!({"fromObjectId": [raw]})),
                    );
                    continue;
                };
                let after = input_after(input)?;
                let mut edges: Vec<(u64, Vec<AssocType>)> = store
                    .assocs_to(id, &to, after)
                    .take(page.map_or(usize::MAX, |p| p + 1))
                    .map(|(b, types)| (b, types.to_vec()))
                    .collect();
                let next = match page {
                    Some(p) if edges.len() > p => edges.pop().map(|(b, _)| b),
                    _ => None,
                };
                if edges.is_empty() {
                    // HubSpot reports objects without associations as errors.
                    errors.push(
                        ApiError::not_found(format!(
                            "No {} is associated with {} {id}.",
                            schema::singular(&to),
                            schema::singular(&from)
                        ))
                        .with_sub_category("crm.associations.NO_ASSOCIATIONS_FOUND")
                        .to_batch_error(json!({"fromObjectId": [raw]})),
                    );
                    continue;
                }
                found.push((id, edges, next));
            }
            drop(store);
            let results: Vec<Value> = found
                .iter()
                .map(|(id, edges, next)| {
                    let mut r = json!({
                        "from": {"id": id.to_string()},
                        "to": v4_results(&from, &to, edges),
                    });
                    if let Some(n) = next {
                        r["paging"] = json!({"next": {"after": n.to_string()}});
                    }
                    r
                })
                .collect();
            Ok(batch_response(StatusCode::OK, started, results, errors))
        }
        "archive" => {
            let inputs = batch_inputs(&body, V4_WRITE_LIMIT)?;
            let mut store = lock(&s.store);
            let mut errors = Vec::new();
            for input in inputs {
                let raw_from = raw_input_id(input, "from");
                let a = match live_input(&store, &from, input_id(input, "from"), &raw_from) {
                    Ok(a) => a,
                    Err(e) => {
                        errors.push(e.to_batch_error(json!({"fromObjectId": [raw_from]})));
                        continue;
                    }
                };
                let Some(targets) = input.get("to").and_then(Value::as_array) else {
                    errors.push(
                        ApiError::validation("Invalid input JSON: to must be a list of {id}")
                            .to_batch_error(json!({"fromObjectId": [raw_from]})),
                    );
                    continue;
                };
                // Each target on its own: the valid ones are removed even when others fail.
                for target in targets {
                    let raw_to = target
                        .get("id")
                        .and_then(super::scalar_string)
                        .unwrap_or_default();
                    let b = target.get("id").and_then(id_value);
                    match live_input(&store, &to, b, &raw_to) {
                        // Not associated is no failure: a resent removal succeeds.
                        Ok(b) => {
                            store.dissociate(a, b, None);
                        }
                        Err(e) => errors.push(e.to_batch_error(json!({
                            "fromObjectId": [raw_from],
                            "toObjectId": [raw_to],
                        }))),
                    }
                }
            }
            drop(store);
            Ok(archived(v, started, errors))
        }
        other => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            format!("Unknown batch operation: {other}"),
        )),
    }
}

pub(crate) async fn batch_labels_archive(
    State(s): State<AppState>,
    Extension(v): Extension<Version>,
    Path((from, to)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let (from, to) = (object_type(&s, &from)?, object_type(&s, &to)?);
    let body = body_json(&body)?;
    let inputs = batch_inputs(&body, V4_WRITE_LIMIT)?;
    let started = now();
    let mut store = lock(&s.store);
    let mut errors = Vec::new();
    for input in inputs {
        let (raw_from, raw_to) = (raw_input_id(input, "from"), raw_input_id(input, "to"));
        let outcome = (|| -> ApiResult<(u64, u64, Vec<AssocType>)> {
            let a = live_input(&store, &from, input_id(input, "from"), &raw_from)?;
            let b = live_input(&store, &to, input_id(input, "to"), &raw_to)?;
            let types = parse_assoc_types(input.get("types"))?;
            for &(cat, tid) in &types {
                check_assoc_type(&from, &to, cat, tid)?;
            }
            Ok((a, b, types))
        })();
        match outcome {
            // A type the pair does not have is no failure: a resent removal succeeds.
            Ok((a, b, types)) => {
                for (_, tid) in types {
                    store.dissociate(a, b, Some(tid));
                }
            }
            Err(e) => errors.push(e.to_batch_error(json!({
                "fromObjectId": [raw_from],
                "toObjectId": [raw_to],
            }))),
        }
    }
    drop(store);
    Ok(archived(v, started, errors))
}

pub(crate) async fn batch_default(
    State(s): State<AppState>,
    Path((from, to)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let (from, to) = (object_type(&s, &from)?, object_type(&s, &to)?);
    let body = body_json(&body)?;
    let inputs = batch_inputs(&body, V4_WRITE_LIMIT)?;
    let started = now();
    let mut store = lock(&s.store);
    let spec = schema::default_assoc(&from, &to);
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        let a = input_id(input, "from").filter(|id| store.live(&from, *id).is_some());
        let b = input_id(input, "to").filter(|id| store.live(&to, *id).is_some());
        match (a, b) {
            (Some(a), Some(b)) => {
                store.associate(a, b, spec.0, spec.1);
                results.push(default_json(a, b, spec));
            }
            _ => errors.push(ApiError::not_found_object().to_batch_error(json!({
                "fromObjectId": [raw_input_id(input, "from")],
                "toObjectId": [raw_input_id(input, "to")],
            }))),
        }
    }
    Ok(batch_response(StatusCode::OK, started, results, errors))
}
