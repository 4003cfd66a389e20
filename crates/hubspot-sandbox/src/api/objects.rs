//! CRUD endpoints of `/crm/v3/objects/{type}` and `/crm/objects/2026-09/{type}` (batches
//! are in `batch`).

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{
    AppState, Page, Query, Version, body_object, object_response, object_type, page_response,
};
use crate::error::{ApiError, ApiResult, Detail};
use crate::rules::Rules;
use crate::store::{Snapshot, Store};
use crate::{Shared, lock};

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
    crate::custom::check_required(store, otype, &props)?;
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
pub(crate) fn update_one(
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
