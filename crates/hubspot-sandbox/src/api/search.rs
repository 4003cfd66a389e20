//! `POST /crm/v3/objects/{type}/search`.

use std::cmp::Ordering;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::{AppState, Page, body_object, name_list, object_type, page_response, scalar_string};
use crate::error::{ApiError, ApiResult};
use crate::lock;
use crate::schema;
use crate::store::{Object, ObjectView, ReadOpts, TypeStore};

/// HubSpot's search limits, in one place.
pub(crate) mod limits {
    /// Filter groups per request.
    pub const MAX_GROUPS: usize = 5;
    /// Filters per group.
    pub const MAX_FILTERS_PER_GROUP: usize = 6;
    /// Filters over all groups.
    pub const MAX_FILTERS: usize = 18;
    /// Sorts per request.
    pub const MAX_SORTS: usize = 1;
    /// Page size.
    pub const MAX_LIMIT: u64 = 200;
    /// Length of `query`.
    pub const MAX_QUERY_LEN: usize = 3000;
    /// Results reachable by paging.
    pub const MAX_RESULTS: u64 = 10_000;
}

#[derive(Debug)]
enum Op {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Between,
    In,
    NotIn,
    Has,
    NotHas,
    Contains,
    NotContains,
}

#[derive(Debug)]
struct Filter {
    prop: String,
    op: Op,
    value: Option<String>,
    high: Option<String>,
    values: Vec<String>,
    datetime: bool,
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::validation(msg)
}

fn parse_filter(f: &Value, ts: &TypeStore) -> ApiResult<Filter> {
    let prop = f
        .get("propertyName")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("Invalid input JSON: each filter needs a propertyName"))?
        .to_string();
    let op_name = f.get("operator").and_then(Value::as_str).unwrap_or("EQ");
    let op = match op_name {
        "EQ" => Op::Eq,
        "NEQ" => Op::Neq,
        "LT" => Op::Lt,
        "LTE" => Op::Lte,
        "GT" => Op::Gt,
        "GTE" => Op::Gte,
        "BETWEEN" => Op::Between,
        "IN" => Op::In,
        "NOT_IN" => Op::NotIn,
        "HAS_PROPERTY" => Op::Has,
        "NOT_HAS_PROPERTY" => Op::NotHas,
        "CONTAINS_TOKEN" => Op::Contains,
        "NOT_CONTAINS_TOKEN" => Op::NotContains,
        other => return Err(bad(format!("Invalid filter operator: {other}"))),
    };
    let value = f.get("value").and_then(scalar_string);
    let high = f.get("highValue").and_then(scalar_string);
    let values: Vec<String> = f
        .get("values")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(scalar_string).collect())
        .unwrap_or_default();
    let needs_value = !matches!(op, Op::Has | Op::NotHas | Op::In | Op::NotIn);
    if needs_value && value.is_none() {
        return Err(bad(format!(
            "Filter on {prop} with operator {op_name} needs a value"
        )));
    }
    if matches!(op, Op::Between) && high.is_none() {
        return Err(bad(format!(
            "Filter on {prop} with operator BETWEEN needs a highValue"
        )));
    }
    if matches!(op, Op::In | Op::NotIn) && values.is_empty() {
        return Err(bad(format!(
            "Filter on {prop} with operator {op_name} needs values"
        )));
    }
    let datetime = ts.prop(&prop).is_some_and(|p| p.is_datetime());
    Ok(Filter {
        prop,
        op,
        value,
        high,
        values,
        datetime,
    })
}

/// Epoch milliseconds of a stored or filter date value.
fn millis(v: &str) -> Option<i64> {
    if let Ok(n) = v.trim().parse::<i64>() {
        return Some(n);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v.trim()) {
        return Some(t.timestamp_millis());
    }
    chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
}

/// Numeric when both sides are numbers (or instants), else case-insensitive text.
/// A property's value for sorting; empty counts as unset.
fn sort_value<'o>(object: &'o Object, property: &str) -> Option<&'o str> {
    object.get(property).filter(|v| !v.is_empty())
}

fn compare(a: &str, b: &str, datetime: bool) -> Ordering {
    if datetime && let (Some(x), Some(y)) = (millis(a), millis(b)) {
        return x.cmp(&y);
    }
    if let (Ok(x), Ok(y)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn contains_token(value: &str, token: &str) -> bool {
    let (value, token) = (value.to_lowercase(), token.to_lowercase());
    if glob(&token, &value) {
        return true;
    }
    value
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .any(|w| glob(&token, w))
}

fn matches(f: &Filter, obj: &Object) -> bool {
    let id_string;
    let current = if f.prop == "hs_object_id" {
        id_string = obj.id.to_string();
        Some(id_string.as_str())
    } else {
        obj.get(&f.prop).filter(|v| !v.is_empty())
    };
    let value = f.value.as_deref().unwrap_or("");
    let eq = |v: &str, w: &str| compare(v, w, f.datetime) == Ordering::Equal;
    match f.op {
        Op::Has => current.is_some(),
        Op::NotHas => current.is_none(),
        Op::Neq => current.is_none_or(|v| !eq(v, value)),
        Op::NotIn => current.is_none_or(|v| !f.values.iter().any(|w| eq(v, w))),
        Op::NotContains => current.is_none_or(|v| !contains_token(v, value)),
        _ => {
            let Some(v) = current else { return false };
            match f.op {
                Op::Eq => eq(v, value),
                Op::Lt => compare(v, value, f.datetime) == Ordering::Less,
                Op::Lte => compare(v, value, f.datetime) != Ordering::Greater,
                Op::Gt => compare(v, value, f.datetime) == Ordering::Greater,
                Op::Gte => compare(v, value, f.datetime) != Ordering::Less,
                Op::Between => {
                    let high = f.high.as_deref().unwrap_or("");
                    compare(v, value, f.datetime) != Ordering::Less
                        && compare(v, high, f.datetime) != Ordering::Greater
                }
                Op::In => f.values.iter().any(|w| eq(v, w)),
                Op::Contains => contains_token(v, value),
                _ => false,
            }
        }
    }
}

/// Parses `{propertyName, direction}` or `"prop"` / `"-prop"`.
fn parse_sort(v: &Value) -> ApiResult<(String, bool)> {
    match v {
        Value::String(s) => Ok(match s.strip_prefix('-') {
            Some(p) => (p.to_string(), true),
            None => (s.to_string(), false),
        }),
        Value::Object(_) => {
            let prop = v
                .get("propertyName")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("Invalid input JSON: each sort needs a propertyName"))?;
            let desc = match v.get("direction").and_then(Value::as_str) {
                None | Some("ASCENDING") => false,
                Some("DESCENDING") => true,
                Some(d) => return Err(bad(format!("Invalid sort direction: {d}"))),
            };
            Ok((prop.to_string(), desc))
        }
        _ => Err(bad("Invalid input JSON: sorts must be strings or objects")),
    }
}

fn number_field(body: &Value, key: &str) -> ApiResult<Option<u64>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| bad(format!("{key} must be a non-negative integer"))),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| bad(format!("{key} must be a non-negative integer, got \"{s}\""))),
        Some(_) => Err(bad(format!("{key} must be a non-negative integer"))),
    }
}

pub(crate) async fn search(
    State(s): State<AppState>,
    Path(otype): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let body = body_object(&body)?;
    let groups = match body.get("filterGroups") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(bad("Invalid input JSON: filterGroups must be a list")),
    };
    if groups.len() > limits::MAX_GROUPS {
        return Err(bad(format!(
            "Too many filter groups: {} (the maximum is {})",
            groups.len(),
            limits::MAX_GROUPS
        )));
    }
    let mut total_filters = 0;
    for g in &groups {
        let n = g
            .get("filters")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if n > limits::MAX_FILTERS_PER_GROUP {
            return Err(bad(format!(
                "Too many filters in a filter group: {n} (the maximum is {})",
                limits::MAX_FILTERS_PER_GROUP
            )));
        }
        total_filters += n;
    }
    if total_filters > limits::MAX_FILTERS {
        return Err(bad(format!(
            "Too many filters: {total_filters} (the maximum is {} over all filter groups)",
            limits::MAX_FILTERS
        )));
    }
    let sorts = match body.get("sorts") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().map(parse_sort).collect::<ApiResult<Vec<_>>>()?,
        Some(_) => return Err(bad("Invalid input JSON: sorts must be a list")),
    };
    if sorts.len() > limits::MAX_SORTS {
        return Err(bad(format!(
            "Too many sorts: {} (the maximum is {})",
            sorts.len(),
            limits::MAX_SORTS
        )));
    }
    let query = match body.get("query") {
        None | Some(Value::Null) => None,
        Some(Value::String(q)) => Some(q.to_lowercase()),
        Some(_) => return Err(bad("Invalid input JSON: query must be a string")),
    };
    if query
        .as_ref()
        .is_some_and(|q| q.chars().count() > limits::MAX_QUERY_LEN)
    {
        return Err(bad(format!(
            "The query is too long (the maximum is {} characters)",
            limits::MAX_QUERY_LEN
        )));
    }
    let limit = number_field(&body, "limit")?.unwrap_or(10);
    if limit > limits::MAX_LIMIT {
        return Err(bad(format!(
            "limit must be at most {}, got {limit}",
            limits::MAX_LIMIT
        )));
    }
    let after = number_field(&body, "after")?.unwrap_or(0);
    if after >= limits::MAX_RESULTS {
        return Err(bad(format!(
            "Search results are limited to {} records; after={after} is past that. Narrow the search with filters instead of paging further.",
            limits::MAX_RESULTS
        ))
        .with_context(json!({"after": [after.to_string()], "limit": [limits::MAX_RESULTS.to_string()]})));
    }
    let opts = ReadOpts {
        properties: name_list(body.get("properties")).filter(|p| !p.is_empty()),
        ..ReadOpts::default()
    };

    let mut store = lock(&s.store);
    store.type_store(&otype);
    let store = &*store;
    let Some(ts) = store.type_store_ref(&otype) else {
        return Err(ApiError::not_found_object());
    };
    let groups: Vec<Vec<Filter>> = groups
        .iter()
        .map(|g| {
            g.get("filters")
                .and_then(Value::as_array)
                .map(|fs| {
                    fs.iter()
                        .map(|f| parse_filter(f, ts))
                        .collect::<ApiResult<Vec<_>>>()
                })
                .unwrap_or_else(|| Ok(Vec::new()))
        })
        .collect::<ApiResult<_>>()?;
    let text_props = schema::query_props(&otype);
    let mut hits: Vec<&Object> = ts
        .objects
        .values()
        .filter(|o| !o.archived())
        .filter(|o| groups.is_empty() || groups.iter().any(|g| g.iter().all(|f| matches(f, o))))
        .filter(|o| {
            query.as_ref().is_none_or(|q| {
                q.is_empty()
                    || o.id.to_string() == *q
                    || text_props.iter().any(|p| {
                        o.get(p)
                            .is_some_and(|v| v.to_lowercase().contains(q.as_str()))
                    })
            })
        })
        .collect();
    if let Some((_, desc)) = sorts.first().filter(|(prop, _)| prop == "hs_object_id") {
        // Ids are numbers: compare them as such, without building strings per comparison.
        hits.sort_by_key(|o| o.id);
        if *desc {
            hits.reverse();
        }
    } else if let Some((prop, desc)) = sorts.first() {
        let datetime = ts.prop(prop).is_some_and(|p| p.is_datetime());
        hits.sort_by(|a, b| {
            let ord = match (sort_value(a, prop), sort_value(b, prop)) {
                (Some(x), Some(y)) => compare(x, y, datetime),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            let ord = if *desc { ord.reverse() } else { ord };
            ord.then(a.id.cmp(&b.id))
        });
    }
    let total = hits.len() as u64;
    let start = after.min(total) as usize;
    let end = (after + limit).min(total).min(limits::MAX_RESULTS) as usize;
    let results = hits[start..end.max(start)]
        .iter()
        .map(|obj| ObjectView {
            store,
            otype: &otype,
            obj,
            opts: &opts,
        })
        .collect();
    let paging =
        ((end as u64) < total && end > start).then(|| json!({"next": {"after": end.to_string()}}));
    Ok(page_response(Page {
        total: Some(total),
        results,
        paging,
    }))
}
