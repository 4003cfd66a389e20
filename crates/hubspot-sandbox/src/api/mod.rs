//! HTTP routes and shared request helpers.

mod assoc;
mod batch;
mod misc;
mod objects;
mod owners;
mod pipelines;
mod properties;
mod property_input;
mod property_validations;
mod schemas;
mod search;
#[cfg(test)]
mod tests_2026_09;
#[cfg(test)]
mod tests_sync;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::Shared;
use crate::error::{ApiError, ApiResult};
use crate::schema;
use crate::store::{Fields, ObjectOut, ObjectsOut, ReadOpts, Snapshot};

/// State handed to every handler.
pub(crate) type AppState = Arc<Shared>;

/// Which of HubSpot's API lines a route belongs to; handlers shared by both take it as an
/// [`Extension`] where the answers differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// The v3 object and property paths and the v4 association paths.
    Legacy,
    /// The date-versioned 2026-09 paths.
    V2026_09,
}

impl Version {
    /// Prefix of the object paths (`{prefix}/{objectType}`).
    pub fn objects(self) -> &'static str {
        match self {
            Version::Legacy => "/crm/v3/objects",
            Version::V2026_09 => "/crm/objects/2026-09",
        }
    }

    /// Prefix of the per-object association paths.
    fn object_associations(self) -> &'static str {
        match self {
            Version::Legacy => "/crm/v4/objects",
            Version::V2026_09 => "/crm/objects/2026-09",
        }
    }

    /// Prefix of the association batch and label paths.
    fn associations(self) -> &'static str {
        match self {
            Version::Legacy => "/crm/v4/associations",
            Version::V2026_09 => "/crm/associations/2026-09",
        }
    }

    fn properties(self) -> &'static str {
        match self {
            Version::Legacy => "/crm/v3/properties",
            Version::V2026_09 => "/crm/properties/2026-09",
        }
    }

    fn property_validations(self) -> &'static str {
        match self {
            Version::Legacy => "/crm/v3/property-validations",
            Version::V2026_09 => "/crm/property-validations/2026-09",
        }
    }

    /// The account's validation rules for writes of `otype`: 2026-09 applies them, the
    /// legacy paths do not (property validation rules: unless switched on for v3).
    pub fn rules<'a>(self, s: &'a Shared, otype: &str) -> crate::rules::Rules<'a> {
        let dated = self == Version::V2026_09;
        let required = match self {
            Version::Legacy => crate::rules::Rules::none(),
            Version::V2026_09 => s.config.rules_for(otype),
        };
        required.with_values(s.property_rules(otype, dated))
    }
}

/// The routes both API lines serve alike, under the prefixes of `v`.
fn versioned_routes(v: Version) -> Router<AppState> {
    let (objects, object_assocs) = (v.objects(), v.object_associations());
    let (assocs, props) = (v.associations(), v.properties());
    Router::new()
        .route(
            &format!("{objects}/{{otype}}"),
            get(objects::list).post(objects::create),
        )
        .route(&format!("{objects}/{{otype}}/search"), post(search::search))
        .route(
            &format!("{objects}/{{otype}}/batch/{{op}}"),
            post(batch::batch),
        )
        .route(
            &format!("{objects}/{{otype}}/{{id}}"),
            get(objects::read)
                .patch(objects::update)
                .delete(objects::archive),
        )
        .route(
            &format!("{object_assocs}/{{otype}}/{{id}}/associations/{{to_type}}/{{to_id}}"),
            put(assoc::pair_put).delete(assoc::pair_delete),
        )
        .route(
            &format!("{object_assocs}/{{otype}}/{{id}}/associations/default/{{to_type}}/{{to_id}}"),
            put(assoc::pair_put_default),
        )
        .route(
            &format!("{assocs}/{{from}}/{{to}}/labels"),
            get(assoc::labels),
        )
        .route(
            &format!("{assocs}/{{from}}/{{to}}/batch/{{op}}"),
            post(assoc::batch),
        )
        .route(
            &format!("{assocs}/{{from}}/{{to}}/batch/labels/archive"),
            post(assoc::batch_labels_archive),
        )
        .route(
            &format!("{assocs}/{{from}}/{{to}}/batch/associate/default"),
            post(assoc::batch_default),
        )
        .route(
            &format!("{props}/{{otype}}"),
            get(properties::list).post(properties::create),
        )
        .route(
            &format!("{props}/{{otype}}/batch/{{op}}"),
            post(properties::batch),
        )
        .route(
            &format!("{props}/{{otype}}/groups"),
            get(properties::groups).post(properties::create_group),
        )
        .route(
            &format!("{props}/{{otype}}/groups/{{name}}"),
            get(properties::group)
                .patch(properties::update_group)
                .delete(properties::archive_group),
        )
        .route(
            &format!("{props}/{{otype}}/{{name}}"),
            get(properties::get)
                .patch(properties::update)
                .delete(properties::archive),
        )
        .merge(property_validations::routes(v.property_validations()))
        .merge(pipelines::routes(v))
        .merge(owners::routes(v))
        .layer(Extension(v))
}

/// All routes of the sandbox.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(versioned_routes(Version::Legacy))
        .merge(versioned_routes(Version::V2026_09))
        .merge(schemas::routes("/crm-object-schemas/v3/schemas"))
        .merge(schemas::routes("/crm-object-schemas/2026-09/schemas"))
        // Only the legacy line lists associations per object and has v3 association paths.
        .route(
            "/crm/v3/objects/{otype}/{id}/associations/{to_type}",
            get(assoc::v3_list),
        )
        .route(
            "/crm/v3/objects/{otype}/{id}/associations/{to_type}/{to_id}/{type_id}",
            put(assoc::v3_put).delete(assoc::v3_delete),
        )
        .route(
            "/crm/v4/objects/{otype}/{id}/associations/{to_type}",
            get(assoc::v4_list),
        )
        .route("/oauth/v1/token", post(misc::oauth_token))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(crate::MAX_REQUEST_BODY))
        .with_state(shared)
}

/// Route prefixes whose next path segment is an object type.
const TYPED_PREFIXES: &[&str] = &[
    "/crm/v3/objects/",
    "/crm/v4/objects/",
    "/crm/v3/properties/",
    "/crm/v3/pipelines/",
    "/crm/v4/associations/",
    "/crm/objects/2026-09/",
    "/crm/properties/2026-09/",
    "/crm/pipelines/2026-09/",
    "/crm/associations/2026-09/",
    "/crm/v3/property-validations/",
    "/crm/property-validations/2026-09/",
    "/crm-object-schemas/v3/schemas/",
    "/crm-object-schemas/2026-09/schemas/",
];

/// Whether a request is a search, which has its own rate limit.
pub(crate) fn is_search(method: &Method, path: &str) -> bool {
    *method == Method::POST
        && [Version::Legacy, Version::V2026_09]
            .iter()
            .any(|v| path.starts_with(v.objects()) && path[v.objects().len()..].starts_with('/'))
        && path.trim_end_matches('/').ends_with("/search")
}

async fn not_found(method: Method, uri: Uri) -> Response {
    // An empty type segment (`/crm/v3/objects//1`) matches no route; HubSpot reads it as a
    // type it cannot infer.
    let empty_type = TYPED_PREFIXES
        .iter()
        .filter_map(|p| uri.path().strip_prefix(p))
        .any(|rest| rest.is_empty() || rest.starts_with('/'));
    if empty_type {
        return ApiError::validation("Unable to infer object type from: ").into_response();
    }
    ApiError::new(
        StatusCode::NOT_FOUND,
        "OBJECT_NOT_FOUND",
        format!("Unable to find a route for {method} {}", uri.path()),
    )
    .into_response()
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "VALIDATION_ERROR",
        format!("{method} is not supported on {}", uri.path()),
    )
    .into_response()
}

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}

/// A JSON answer.
pub(crate) fn json(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

/// Canonical object type from a path segment: a standard type by name or id, or a custom
/// object type by id, registered name, or a created schema's name, `p_<name>` or fully
/// qualified name. A deleted schema's type is gone. Unregistered custom types are admitted
/// on first use, up to the configured cap. Must not be called with the store locked.
pub(crate) fn object_type(s: &Shared, raw: &str) -> ApiResult<String> {
    let unknown = || ApiError::validation(format!("Unable to infer object type from: {raw}"));
    let configured = s.config.resolve_type(raw);
    if let Some(otype) = &configured
        && !schema::is_custom(otype)
    {
        return Ok(otype.clone());
    }
    let mut store = crate::lock(&s.store);
    let otype = match configured {
        Some(otype) => otype,
        None => store.schemas.resolve(raw).ok_or_else(unknown)?,
    };
    if store.schemas.is_gone(&otype) {
        return Err(unknown());
    }
    if !s.config.is_registered(&otype) {
        store.admit_custom(&otype)?;
    }
    Ok(otype)
}

/// Parses a required JSON body with HubSpot's wording for the failures.
pub(crate) fn body_json(bytes: &Bytes) -> ApiResult<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::validation(
            "Invalid input JSON on line 1, column 1: No content to map due to end-of-input",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::validation(format!(
            "Invalid input JSON on line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })
}

/// A JSON body that must be an object.
pub(crate) fn body_object(bytes: &Bytes) -> ApiResult<Value> {
    let v = body_json(bytes)?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(ApiError::validation(
            "Invalid input JSON: expected a JSON object",
        ))
    }
}

/// Query parameters; keys may repeat.
#[derive(Debug, Default)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        Query(
            raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// Comma-separated and repeated values, merged.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn flag(&self, key: &str) -> ApiResult<bool> {
        match self.get(key) {
            None | Some("") => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ApiError::validation(format!(
                "Unable to parse \"{v}\" as a boolean for query parameter {key}"
            ))),
        }
    }

    pub fn number(&self, key: &str) -> ApiResult<Option<u64>> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                ApiError::validation(format!(
                    "Unable to parse \"{v}\" as a number for query parameter {key}"
                ))
            }),
        }
    }

    /// `properties`, `propertiesWithHistory` and `associations` of a read.
    pub fn read_opts(&self, s: &Shared) -> ApiResult<ReadOpts> {
        let properties = self.has("properties").then(|| self.list("properties"));
        // Each name resolved once, however often it is repeated.
        let associations = crate::store::dedup(self.list("associations"))
            .iter()
            .map(|t| object_type(s, t))
            .collect::<ApiResult<Vec<_>>>()?;
        let associations = crate::store::dedup(associations);
        Ok(ReadOpts {
            properties,
            history: self.list("propertiesWithHistory"),
            associations,
        })
    }
}

/// A list of names given in a JSON body as an array or a comma-separated string.
pub(crate) fn name_list(v: Option<&Value>) -> Option<Vec<String>> {
    match v? {
        Value::Array(a) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        Value::String(s) => Some(
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        _ => None,
    }
}

/// A string or number given as an id or value.
pub(crate) fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The `inputs` list of a batch body, checked against a size limit.
pub(crate) fn batch_inputs(body: &Value, max: usize) -> ApiResult<&Vec<Value>> {
    let inputs = body
        .get("inputs")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::validation("Invalid input JSON: inputs must be a list"))?;
    if inputs.len() > max {
        return Err(ApiError::validation(format!(
            "Batch input limit exceeded: {} inputs were sent, the limit is {max}.",
            inputs.len()
        ))
        .with_context(
            serde_json::json!({"limit": [max.to_string()], "size": [inputs.len().to_string()]}),
        ));
    }
    Ok(inputs)
}

/// A JSON answer serialized straight into bytes (call it after releasing the store lock).
pub(crate) fn json_out<T: serde::Serialize>(status: StatusCode, v: &T) -> Response {
    let mut buf = Vec::with_capacity(4096);
    if let Err(e) = serde_json::to_writer(&mut buf, v) {
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            e.to_string(),
        )
        .into_response();
    }
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        buf,
    )
        .into_response()
}

/// One object answer.
pub(crate) fn object_response(status: StatusCode, fields: &Fields, snap: &Snapshot) -> Response {
    json_out(status, &ObjectOut { fields, snap })
}

/// The batch response envelope.
#[derive(serde::Serialize)]
struct BatchOut<R> {
    status: &'static str,
    results: R,
    #[serde(rename = "startedAt")]
    started_at: String,
    #[serde(rename = "completedAt")]
    completed_at: String,
    #[serde(rename = "numErrors", skip_serializing_if = "Option::is_none")]
    num_errors: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<Value>,
}

/// The batch response envelope: `ok_status` without errors, else 207. `results` is any
/// JSON list (e.g. [`ObjectsOut`]).
pub(crate) fn batch_response<R: serde::Serialize>(
    ok_status: StatusCode,
    started: DateTime<Utc>,
    results: R,
    errors: Vec<Value>,
) -> Response {
    let status = if errors.is_empty() {
        ok_status
    } else {
        StatusCode::MULTI_STATUS
    };
    json_out(
        status,
        &BatchOut {
            status: "COMPLETE",
            results,
            started_at: crate::store::fmt_time(started),
            completed_at: crate::store::fmt_time(now()),
            num_errors: (!errors.is_empty()).then_some(errors.len()),
            errors,
        },
    )
}

/// A page of objects copied out of the store, serialized after the lock is released.
pub(crate) struct Page {
    pub total: Option<u64>,
    pub fields: Fields,
    pub results: Vec<Snapshot>,
    pub paging: Option<Value>,
}

impl serde::Serialize for Page {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        if let Some(t) = self.total {
            m.serialize_entry("total", &t)?;
        }
        m.serialize_entry(
            "results",
            &ObjectsOut {
                fields: &self.fields,
                snaps: &self.results,
            },
        )?;
        if let Some(p) = &self.paging {
            m.serialize_entry("paging", p)?;
        }
        m.end()
    }
}

/// 200 with a serialized page.
pub(crate) fn page_response(page: &Page) -> Response {
    json_out(StatusCode::OK, page)
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::time::Duration;

    use serde_json::{Value, json};

    use super::{Query, Version, objects, search};
    use crate::{Sandbox, SandboxConfig};

    /// Another client: a raw HTTP/1.1 request on its own socket, answered or not within a
    /// minute (the read timeout only turns a deadlock into a failure).
    fn other_client(addr: SocketAddr, method: &str, path: &str, body: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer t\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        match s.read_to_string(&mut answer) {
            Ok(_) => answer,
            Err(e) => format!("no answer: {e}"),
        }
    }

    /// A writer that, at its first write, runs `during` to completion: whatever `during`
    /// does happens while the answer is being serialized.
    struct Probe<F: FnMut()> {
        during: Option<F>,
        bytes: Vec<u8>,
    }

    impl<F: FnMut()> Write for Probe<F> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Some(mut f) = self.during.take() {
                f();
            }
            self.bytes.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Serializes `page` and, in the middle of it, has another client create a ticket.
    /// Returns the other client's answer and the serialized page.
    fn serialize_while_another_client_writes(
        addr: SocketAddr,
        page: &super::Page,
    ) -> (String, Value) {
        tokio::task::block_in_place(|| {
            let mut answer = String::new();
            let mut probe = Probe {
                during: Some(|| {
                    answer = other_client(
                        addr,
                        "POST",
                        "/crm/v3/objects/tickets",
                        r#"{"properties": {"subject": "written meanwhile"}}"#,
                    );
                }),
                bytes: Vec::new(),
            };
            serde_json::to_writer(&mut probe, page).unwrap();
            let bytes = std::mem::take(&mut probe.bytes);
            drop(probe);
            (answer, serde_json::from_slice(&bytes).unwrap())
        })
    }

    async fn sandbox_with_tickets(n: usize) -> Sandbox {
        let sandbox = Sandbox::start(SandboxConfig::new()).await.unwrap();
        for i in 0..n {
            sandbox.seed_object(
                "tickets",
                json!({"subject": format!("ticket {i}"), "content": "x".repeat(10_000)}),
            );
        }
        sandbox
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn another_client_is_answered_while_a_big_list_is_serialized() {
        let sandbox = sandbox_with_tickets(150).await;
        let q = Query::parse(Some("limit=100&properties=subject,content"));
        let page = objects::list_page(&sandbox.shared, Version::Legacy, "tickets", &q).unwrap();
        let (answer, listed) = serialize_while_another_client_writes(sandbox.addr(), &page);
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
        let results = listed["results"].as_array().unwrap();
        assert_eq!(results.len(), 100);
        assert_eq!(results[0]["properties"]["subject"], "ticket 0");
        assert_eq!(results[99]["properties"]["subject"], "ticket 99");
        assert!(listed["paging"]["next"]["after"].is_string());
        sandbox.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn another_client_is_answered_while_a_big_search_is_serialized() {
        let sandbox = sandbox_with_tickets(300).await;
        let body = json!({
            "filterGroups": [{"filters": [
                {"propertyName": "subject", "operator": "CONTAINS_TOKEN", "value": "ticket"}
            ]}],
            "sorts": [{"propertyName": "subject", "direction": "DESCENDING"}],
            "properties": ["subject", "content"],
            "limit": 200,
        });
        let page = search::search_page(&sandbox.shared, "tickets", &body).unwrap();
        let (answer, found) = serialize_while_another_client_writes(sandbox.addr(), &page);
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
        // The answer is the search as it was: the ticket written meanwhile is not in it.
        assert_eq!(found["total"], 300);
        let results = found["results"].as_array().unwrap();
        assert_eq!(results.len(), 200);
        assert_eq!(results[0]["properties"]["subject"], "ticket 99");
        sandbox.shutdown().await;
    }
}
