//! `POST /crm/v3/objects/{type}/search`.

use std::cmp::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::{AppState, Page, body_object, name_list, object_type, page_response, scalar_string};
use crate::error::{ApiError, ApiResult};
use crate::schema;
use crate::store::{Object, ReadOpts, Snapshot, TypeStore};
use crate::{Shared, lock};

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

/// A parsed filter, with its values' comparison keys and wildcard pattern computed once.
#[derive(Debug)]
struct Filter {
    prop: String,
    op: Op,
    datetime: bool,
    value: Option<Key>,
    high: Option<Key>,
    values: Vec<Key>,
    /// `CONTAINS_TOKEN` / `NOT_CONTAINS_TOKEN`: the lowercased token.
    token: Option<Glob>,
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
    let token = matches!(op, Op::Contains | Op::NotContains)
        .then(|| Glob::new(&value.as_deref().unwrap_or("").to_lowercase()));
    Ok(Filter {
        prop,
        op,
        datetime,
        value: value.as_deref().map(|v| Key::of(v, datetime)),
        high: high.as_deref().map(|v| Key::of(v, datetime)),
        values: values.iter().map(|v| Key::of(v, datetime)).collect(),
        token,
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

/// How a value compares, in filters and sorts: a total order. Numbers (finite ones, `-0`
/// equal to `0`; instants for date properties) come before text, which compares
/// case-insensitively. `NaN` and infinities are text: a number never equals them.
#[derive(Debug, Clone)]
enum Key {
    Num(f64),
    Text(String),
}

impl Key {
    fn of(v: &str, datetime: bool) -> Key {
        if datetime && let Some(ms) = millis(v) {
            return Key::Num(ms as f64 + 0.0);
        }
        match v.trim().parse::<f64>() {
            // `+ 0.0` turns -0 into 0, so that `total_cmp` agrees with `==` on numbers.
            Ok(x) if x.is_finite() => Key::Num(x + 0.0),
            _ => Key::Text(v.to_lowercase()),
        }
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Key::Num(a), Key::Num(b)) => a.total_cmp(b),
            (Key::Num(_), Key::Text(_)) => Ordering::Less,
            (Key::Text(_), Key::Num(_)) => Ordering::Greater,
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Key {}

/// A property's value for sorting; empty counts as unset.
fn sort_value<'o>(object: &'o Object, property: &str) -> Option<&'o str> {
    object.get(property).filter(|v| !v.is_empty())
}

/// What an object sorts by: its value's key (`None` when unset) and its id.
type SortKey = (Option<Key>, u64);

/// The sort order of two objects: by value (unset values after all others, before them
/// when descending), then by id. A total order whatever the values, as `sort` requires.
fn sort_order(a: &SortKey, b: &SortKey, desc: bool) -> Ordering {
    let ord = match (&a.0, &b.0) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    let ord = if desc { ord.reverse() } else { ord };
    ord.then(a.1.cmp(&b.1))
}

/// A `*` wildcard pattern, split into its literal parts once. Matching takes time linear in
/// the text and the pattern: the first part must start the text, the last must end it, and
/// the ones between are found left to right (the leftmost match of each is as good as any),
/// so nothing is retried.
#[derive(Debug)]
struct Glob {
    /// The pattern split at `*`; one part when it has no `*`.
    parts: Vec<String>,
    /// Bytes the parts need.
    min_len: usize,
}

impl Glob {
    fn new(pattern: &str) -> Glob {
        let parts: Vec<String> = pattern.split('*').map(str::to_string).collect();
        let min_len = parts.iter().map(String::len).sum();
        Glob { parts, min_len }
    }

    fn matches(&self, text: &str) -> bool {
        let [first, middle @ .., last] = self.parts.as_slice() else {
            // No `*`: the whole text.
            return self.parts.first().is_some_and(|p| p == text);
        };
        if text.len() < self.min_len || !text.starts_with(first.as_str()) {
            return false;
        }
        let rest = &text[first.len()..];
        if !rest.ends_with(last.as_str()) {
            return false;
        }
        let mut rest = &rest[..rest.len() - last.len()];
        for part in middle.iter().filter(|p| !p.is_empty()) {
            match rest.find(part.as_str()) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
        true
    }
}

/// Whether the value, or one of its words, matches the (lowercased) token.
fn contains_token(value: &str, token: &Glob) -> bool {
    let value = value.to_lowercase();
    // Words shorter than the token's literal parts are skipped in O(1), so the work stays
    // linear in the value.
    token.matches(&value)
        || value
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .any(|w| token.matches(w))
}

fn matches(f: &Filter, obj: &Object) -> bool {
    let id_string;
    let current = if f.prop == "hs_object_id" {
        id_string = obj.id.to_string();
        Some(id_string.as_str())
    } else {
        obj.get(&f.prop).filter(|v| !v.is_empty())
    };
    let key = |v: &str| Key::of(v, f.datetime);
    let value = f.value.as_ref();
    let contains = |v: &str| f.token.as_ref().is_some_and(|t| contains_token(v, t));
    match f.op {
        Op::Has => current.is_some(),
        Op::NotHas => current.is_none(),
        Op::Neq => current.is_none_or(|v| Some(&key(v)) != value),
        Op::NotIn => current.is_none_or(|v| !f.values.contains(&key(v))),
        Op::NotContains => current.is_none_or(|v| !contains(v)),
        _ => {
            let Some(v) = current else { return false };
            let k = key(v);
            let cmp = |w: Option<&Key>| w.map(|w| k.cmp(w));
            match f.op {
                Op::Eq => cmp(value) == Some(Ordering::Equal),
                Op::Lt => cmp(value) == Some(Ordering::Less),
                Op::Lte => matches!(cmp(value), Some(Ordering::Less | Ordering::Equal)),
                Op::Gt => cmp(value) == Some(Ordering::Greater),
                Op::Gte => matches!(cmp(value), Some(Ordering::Greater | Ordering::Equal)),
                Op::Between => {
                    matches!(cmp(value), Some(Ordering::Greater | Ordering::Equal))
                        && matches!(cmp(f.high.as_ref()), Some(Ordering::Less | Ordering::Equal))
                }
                Op::In => f.values.contains(&k),
                Op::Contains => contains(v),
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
    let page = search_page(&s, &otype, &body)?;
    Ok(page_response(&page))
}

/// Runs a search. The store lock is held only to parse the filters and copy pointers to the
/// live objects of the type; matching, sorting and building the page happen after it is
/// released, so a heavy search does not stall other clients.
pub(crate) fn search_page(s: &Shared, otype: &str, body: &Value) -> ApiResult<Page> {
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
    let limit = number_field(body, "limit")?.unwrap_or(10);
    if limit > limits::MAX_LIMIT {
        return Err(bad(format!(
            "limit must be at most {}, got {limit}",
            limits::MAX_LIMIT
        )));
    }
    let after = number_field(body, "after")?.unwrap_or(0);
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

    let (groups, sort_datetime, fields, objects) = {
        let mut store = lock(&s.store);
        store.type_store(otype);
        let store = &*store;
        let Some(ts) = store.type_store_ref(otype) else {
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
        let sort_datetime = sorts
            .first()
            .and_then(|(prop, _)| ts.prop(prop))
            .is_some_and(|p| p.is_datetime());
        let delay = s.config.index_delay;
        let now = chrono::Utc::now();
        let objects: Vec<Arc<Object>> = ts
            .objects
            .values()
            .filter(|o| !o.archived() && crate::store::indexed(o, delay, now))
            .cloned()
            .collect();
        (groups, sort_datetime, store.fields(otype, &opts), objects)
    };

    let text_props = schema::query_props(otype);
    let mut hits: Vec<Arc<Object>> = objects
        .into_iter()
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
        hits.sort_unstable_by_key(|o| o.id);
        if *desc {
            hits.reverse();
        }
    } else if let Some((prop, desc)) = sorts.first() {
        // Keys computed once per object, not per comparison.
        let mut keyed: Vec<(SortKey, Arc<Object>)> = hits
            .into_iter()
            .map(|o| {
                let key = sort_value(&o, prop).map(|v| Key::of(v, sort_datetime));
                ((key, o.id), o)
            })
            .collect();
        keyed.sort_unstable_by(|a, b| sort_order(&a.0, &b.0, *desc));
        hits = keyed.into_iter().map(|(_, o)| o).collect();
    }
    let total = hits.len() as u64;
    let start = after.min(total) as usize;
    let end = (after + limit).min(total).min(limits::MAX_RESULTS) as usize;
    let results = hits
        .drain(start..end.max(start))
        .map(Snapshot::of)
        .collect();
    let paging =
        ((end as u64) < total && end > start).then(|| json!({"next": {"after": end.to_string()}}));
    Ok(Page {
        total: Some(total),
        fields,
        results,
        paging,
    })
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::{Glob, Key, contains_token, sort_order};

    const VALUES: &[&str] = &[
        "10",
        "9",
        "abc",
        "NaN",
        "nan",
        "",
        "1e3",
        "1000",
        "-0",
        "0",
        "0.0",
        "ABC",
        "inf",
        "-inf",
        "Infinity",
        "2.5",
        " 2.5 ",
        "-7",
        "zeta",
        "9.0",
        "10abc",
        "1e400",
        "-1e-400",
        "2024-01-01",
        "1704067200000",
        "2024-01-01T00:00:00Z",
    ];

    #[test]
    fn comparison_keys_are_a_total_order_over_mixed_values() {
        for datetime in [false, true] {
            let keys: Vec<Key> = VALUES.iter().map(|v| Key::of(v, datetime)).collect();
            for a in &keys {
                assert_eq!(a.cmp(a), Ordering::Equal, "{a:?} is equal to itself");
                for b in &keys {
                    assert_eq!(a.cmp(b), b.cmp(a).reverse(), "{a:?} vs {b:?}");
                    assert_eq!(a == b, a.cmp(b) == Ordering::Equal);
                    for c in &keys {
                        if a <= b && b <= c {
                            assert!(a <= c, "{a:?} <= {b:?} <= {c:?}");
                        }
                    }
                }
            }
        }
        let k = |v| Key::of(v, false);
        // NaN and infinities are text: never equal to a number, after all numbers.
        assert_ne!(k("NaN"), k("5"));
        assert!(k("NaN") > k("1e300") && k("inf") > k("1e300"));
        // Numbers compare as numbers, -0 as 0; text case-insensitively, after numbers.
        assert!(k("9") < k("10"));
        assert_eq!(k("1e3"), k("1000"));
        assert_eq!(k("-0"), k("0"));
        assert!(k("10") < k("abc") && k("9") < k("abc"));
        assert_eq!(k("ABC"), k("abc"));
        // Dates compare as instants when the property is a date.
        let d = |v| Key::of(v, true);
        assert_eq!(d("2024-01-01"), d("1704067200000"));
        assert_eq!(d("2024-01-01"), d("2024-01-01T00:00:00Z"));
    }

    #[test]
    fn sorting_mixed_values_is_deterministic_and_ties_go_by_id() {
        let mut rows: Vec<super::SortKey> = (0..2_000u64)
            .map(|id| {
                let v = VALUES[(id as usize * 7) % VALUES.len()];
                (
                    Some(v).filter(|v| !v.is_empty()).map(|v| Key::of(v, false)),
                    id,
                )
            })
            .collect();
        for desc in [false, true] {
            rows.sort_by(|a, b| sort_order(a, b, desc));
            for w in rows.windows(2) {
                assert_eq!(sort_order(&w[0], &w[1], desc), Ordering::Less, "{w:?}");
            }
            // Unset values sort after all others ascending, first descending.
            assert_eq!(rows.last().unwrap().0.is_none(), !desc);
        }
    }

    /// Matches `*` globs by dynamic programming: obviously right, quadratic.
    fn reference(pattern: &str, text: &str) -> bool {
        let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
        let mut m = vec![vec![false; t.len() + 1]; p.len() + 1];
        m[0][0] = true;
        for i in 1..=p.len() {
            for j in 0..=t.len() {
                m[i][j] = if p[i - 1] == '*' {
                    m[i - 1][j] || (j > 0 && m[i][j - 1])
                } else {
                    j > 0 && m[i - 1][j - 1] && p[i - 1] == t[j - 1]
                };
            }
        }
        m[p.len()][t.len()]
    }

    /// Every string over `alphabet` up to `max` characters.
    fn strings(alphabet: &[char], max: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..max {
            last = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn glob_agrees_with_a_reference_matcher() {
        let patterns = strings(&['a', 'é', '*'], 5);
        let texts = strings(&['a', 'é', 'b'], 5);
        for p in &patterns {
            let glob = Glob::new(p);
            for t in &texts {
                assert_eq!(glob.matches(t), reference(p, t), "{p:?} against {t:?}");
            }
        }
    }

    #[test]
    fn contains_token_does_bounded_work_on_pathological_patterns() {
        // Backtracking retries the literal at every offset: 10^6 offsets x 10^5 characters.
        let long = "a".repeat(1_000_000);
        let star_literal = Glob::new(&format!("*{}b", "a".repeat(100_000)));
        assert!(!contains_token(&long, &star_literal));
        assert!(contains_token(&format!("{long}b"), &star_literal));
        // Many stars: each part is found once, left to right.
        let many_stars = Glob::new(&"*a".repeat(50_000));
        assert!(contains_token(&long, &many_stars));
        assert!(!contains_token(&"a".repeat(49_999), &many_stars));
        let many_then_miss = Glob::new(&format!("{}*c", "*a".repeat(50_000)));
        assert!(!contains_token(&long, &many_then_miss));
        // Many words, each shorter than the token: skipped without matching.
        let words = "ab ".repeat(300_000);
        assert!(!contains_token(
            &words,
            &Glob::new(&format!("*{}", "b".repeat(1_000)))
        ));
        assert!(contains_token(&words, &Glob::new("a*b")));
        // Case-insensitive on the value (filters lowercase the token).
        assert!(contains_token("Big FISH inc", &Glob::new("fish")));
        assert!(contains_token("Lead 12", &Glob::new("lead 1*")));
        assert!(!contains_token("Lead 2", &Glob::new("lead 1*")));
    }
}
