//! The crate's one error type.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input was rejected before anything was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// HubSpot (or a proxy in front of it) answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// HubSpot's own daily request limit for the account is used up: the request was sent
    /// and HubSpot answered 429 with policy `DAILY`. Nothing succeeds until the limit resets
    /// at midnight in the account's time zone, so the request was not retried. Not to be
    /// confused with [`Error::DailyBudgetSpent`], the client's own budget, refused unsent.
    #[error(
        "HubSpot's daily request limit is reached; it resets at midnight in the account's time zone ({0})"
    )]
    HubSpotDailyLimit(Box<ApiError>),
    /// A create may or may not have reached HubSpot (a timeout or a 5xx after sending), so it
    /// was not resent: resending could create duplicates. Check before creating again.
    #[error("outcome unknown for {operation}: the request may have reached HubSpot and was not resent ({cause}); inputs: {}", inputs.join(", "))]
    OutcomeUnknown {
        /// The operation, e.g. `objects.batch_create`.
        operation: String,
        /// The inputs concerned (names or trace ids), in input order.
        inputs: Vec<String>,
        /// What happened.
        cause: String,
    },
    /// The request could not be sent or its answer not received.
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// Getting an access token failed (e.g. the refresh token was rejected).
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Paging could not go on: HubSpot's cursors went in a circle, or a search restarted past
    /// the 10,000-result window found nothing new. The items before were yielded.
    #[error("paging stopped: {0}")]
    Paging(String),
    /// A change feed's record has no readable value of the last-modified property the feed
    /// orders by ([`ChangeFeedOptions::modified_property`](crate::ChangeFeedOptions::modified_property)):
    /// without it neither its place in the order nor the checkpoint after it is known. The
    /// changes before it were yielded; the feed ends here.
    #[error("record {record_id}: its `{property}` is {}, not a time; the change feed orders by it", describe_value(.value))]
    ModifiedTimeUnreadable {
        /// The record's id.
        record_id: String,
        /// The last-modified property the feed reads.
        property: String,
        /// What the record holds instead (`None` when the property is absent or null).
        value: Option<String>,
    },
    /// A change feed's search brought it no further: its answer would have it ask for the
    /// same records again (as when HubSpot, or something in front of it, ignores the feed's
    /// filter), so it ended instead of asking forever. The changes before were yielded, and a
    /// feed started again from the last stored checkpoint goes on without a gap.
    #[error(
        "the change feed made no progress past `{property}` {modified_at}{}: the search's answer would have it ask for the same again, as if the server ignored the feed's filter",
        .after_id.map(|id| format!(" with ids above {id}")).unwrap_or_default()
    )]
    FeedStalled {
        /// The last-modified property the feed orders by.
        property: String,
        /// The modification time the feed could not get past.
        modified_at: chrono::DateTime<chrono::Utc>,
        /// In a scan of many records modified at one time, the record id it could not get
        /// past.
        after_id: Option<u64>,
    },
    /// HubSpot answered with a success status but a body that does not parse.
    #[error("HTTP {status}: the response body does not parse: {message}")]
    Decode {
        /// The status.
        status: u16,
        /// Why it failed.
        message: String,
        /// The body, truncated to a few KiB.
        body: String,
    },
    /// A record's property did not read into the caller's type (see
    /// [`Objects::typed`](crate::Objects::typed)): `"n/a"` where a number was asked for, a
    /// required field HubSpot left null. Nothing was wrong with HubSpot's answer as JSON.
    #[error("{}: {reason}", describe_decoded(.record_id, .property))]
    PropertyDecode {
        /// The record's id, when the value came from a record.
        record_id: Option<String>,
        /// The property, when the failure is about one (not about the type as a whole).
        property: Option<String>,
        /// Why it did not fit, with the value.
        reason: String,
    },
    /// An answer's body was longer than the client accepts
    /// ([`ClientBuilder::max_body_bytes`](crate::ClientBuilder::max_body_bytes)): reading
    /// stopped at the cap and the connection was dropped. A create or batch create answered
    /// with a 2xx this way is reported as [`Error::OutcomeUnknown`] instead.
    #[error(
        "HTTP {status}: the answer's body is longer than the {limit}-byte cap; it was not read"
    )]
    BodyTooLarge {
        /// The cap in bytes.
        limit: u64,
        /// The status of the answer.
        status: u16,
    },
    /// The client-side rate limiter would have held the request past the retry policy's
    /// [`max_elapsed`](crate::RetryPolicy::max_elapsed), counted from the start of the call,
    /// so it gave up instead of waiting: this attempt was not sent.
    #[error(
        "the rate limiter would hold the request another {wait:?}, past the {max_elapsed:?} budget of the call; it was not sent"
    )]
    RateLimitWaitTooLong {
        /// How much longer the request would have had to wait, at least.
        wait: std::time::Duration,
        /// The budget of the call ([`RetryPolicy::max_elapsed`](crate::RetryPolicy::max_elapsed)).
        max_elapsed: std::time::Duration,
    },
    /// The client's own daily budget, set in [`RateLimits::daily`](crate::RateLimits::daily),
    /// is used up (counted by this client, by every process sharing its store, and as
    /// HubSpot's headers report): the request was not sent, and HubSpot did not answer. It
    /// resets at `resets_at`. HubSpot's own daily limit, answered after sending, is
    /// [`Error::HubSpotDailyLimit`].
    #[error(
        "the daily budget of {budget} requests is used up until {resets_at}; the request was not sent"
    )]
    DailyBudgetSpent {
        /// Requests allowed per day.
        budget: u64,
        /// When the account's next day starts.
        resets_at: chrono::DateTime<chrono::Utc>,
    },
    /// [`Properties::ensure`](crate::Properties::ensure) found the property defined already,
    /// but not as asked: each difference in what matters to writing values (type, field
    /// type, unique values, options) is listed. Nothing was changed.
    #[error(
        "property `{property}` of {object_type} exists but not as asked: {}",
        differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    PropertyMismatch {
        /// The object type.
        object_type: String,
        /// The property's internal name.
        property: String,
        /// How the existing property differs, at least one.
        differences: Vec<PropertyDifference>,
    },
    /// No custom object schema of the account answers to `name` ([`Schemas::type_id`](crate::Schemas::type_id)):
    /// neither the cached list of schemas nor a fresh read of it has a schema of that
    /// `name`, `p_<name>` or fully qualified name (`p<portal id>_<name>`).
    #[error(
        "no custom object schema of the account is named `{name}` (looked up as a schema's name, `p_<name>` and fully qualified name `p<portal id>_<name>`)"
    )]
    UnknownObjectType {
        /// The name looked up, as given.
        name: String,
    },
    /// The shared rate-limit store could not be reached (and
    /// [`OnUnreachable`](crate::OnUnreachable) said to fail, or to wait and the call's budget
    /// ran out), or did not answer within the call's budget: the request was not sent.
    #[error("the shared rate-limit store is unreachable ({message}); the request was not sent")]
    RateLimitStore {
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// The HTTP status, when HubSpot or a proxy answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) | Error::HubSpotDailyLimit(e) => Some(e.status),
            Error::Decode { status, .. } | Error::BodyTooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The HubSpot error, when the failure is one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) | Error::HubSpotDailyLimit(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Validation(ValidationError::new(field, reason))
    }
}

/// One way an existing property differs from the one asked for (see
/// [`Error::PropertyMismatch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PropertyDifference {
    /// Its `type` is another.
    Type {
        /// The type asked for, e.g. `string`.
        asked: String,
        /// The property's type.
        found: String,
    },
    /// Its `fieldType` is another.
    FieldType {
        /// The field type asked for, e.g. `text`.
        asked: String,
        /// The property's field type.
        found: String,
    },
    /// Its `hasUniqueValue` is the other value.
    HasUniqueValue {
        /// What was asked.
        asked: bool,
        /// What the property has.
        found: bool,
    },
    /// Options asked for that the enumeration does not have (by value).
    MissingOptions {
        /// The values, in the order asked.
        values: Vec<String>,
    },
}

impl PropertyDifference {
    /// The field that differs, as HubSpot names it: `type`, `fieldType`, `hasUniqueValue`
    /// or `options`.
    pub fn field(&self) -> &'static str {
        match self {
            PropertyDifference::Type { .. } => "type",
            PropertyDifference::FieldType { .. } => "fieldType",
            PropertyDifference::HasUniqueValue { .. } => "hasUniqueValue",
            PropertyDifference::MissingOptions { .. } => "options",
        }
    }
}

impl fmt::Display for PropertyDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = self.field();
        match self {
            PropertyDifference::Type { asked, found }
            | PropertyDifference::FieldType { asked, found } => {
                write!(f, "{field} is `{found}`, not `{asked}`")
            }
            PropertyDifference::HasUniqueValue { asked, found } => {
                write!(f, "{field} is {found}, not {asked}")
            }
            PropertyDifference::MissingOptions { values } => {
                let values: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
                write!(f, "{field} lack {}", values.join(", "))
            }
        }
    }
}

/// Where a [`Error::PropertyDecode`] happened: `record 7: property `amount``.
fn describe_decoded(record_id: &Option<String>, property: &Option<String>) -> String {
    let property = match property {
        Some(name) => format!("property `{name}`"),
        None => "properties".to_owned(),
    };
    match record_id {
        Some(id) => format!("record {id}: {property}"),
        None => property,
    }
}

/// How a property value reads in an error: quoted, or `missing`.
fn describe_value(value: &Option<String>) -> String {
    match value {
        Some(text) => format!("`{text}`"),
        None => "missing".to_owned(),
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        if e.is_daily_limit() {
            Error::HubSpotDailyLimit(Box::new(e))
        } else {
            Error::Api(Box::new(e))
        }
    }
}

/// Bad input, caught before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// Index of the offending item in a bulk input, if the input is a list.
    pub item: Option<usize>,
    /// The field at fault, e.g. `hs_lead_name` or `filterGroups[2].filters`.
    pub field: String,
    /// Why it was rejected.
    pub reason: String,
}

impl ValidationError {
    /// A validation error for `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ValidationError {
            item: None,
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same error, attributed to item `index` of a bulk input.
    pub fn at_item(mut self, index: usize) -> Self {
        self.item = Some(index);
        self
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(item) = self.item {
            write!(
                f,
                "invalid input: item {item}: {}: {}",
                self.field, self.reason
            )
        } else {
            write!(f, "invalid input: {}: {}", self.field, self.reason)
        }
    }
}

/// Failure to obtain an access token.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// HubSpot rejected the refresh token (revoked, or for another app).
    #[error("HubSpot rejected the refresh token (HTTP {status}): {message}")]
    RefreshRejected {
        /// The status of the token endpoint's answer.
        status: u16,
        /// HubSpot's message (or a proxy's page), with the client secret and tokens replaced
        /// by `[redacted]`.
        message: String,
    },
    /// The token endpoint could not be reached or answered something unreadable; what it
    /// answered is kept short, with the client secret and tokens replaced by `[redacted]`.
    #[error("refreshing the access token failed: {0}")]
    RefreshFailed(String),
}

/// An error answer from HubSpot, or from a proxy in front of it.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// HubSpot's category, e.g. `VALIDATION_ERROR`, `OBJECT_NOT_FOUND`, `RATE_LIMITS`.
    pub category: Option<String>,
    /// HubSpot's subcategory, when given.
    pub sub_category: Option<String>,
    /// HubSpot's message.
    pub message: Option<String>,
    /// The id HubSpot support asks for.
    pub correlation_id: Option<String>,
    /// Per-field details.
    pub errors: Vec<ApiErrorDetail>,
    /// Context HubSpot attaches, e.g. `ids` or `objectWriteTraceId`.
    pub context: BTreeMap<String, Vec<String>>,
    /// The rate-limit policy of a 429: `TEN_SECONDLY_ROLLING`, `DAILY`, `SECONDLY`.
    pub policy_name: Option<String>,
    /// HubSpot's own `status` text, e.g. `error`.
    pub item_status: Option<String>,
    /// The body as received, when it is not a HubSpot error object (an HTML proxy page).
    pub raw_body: Option<String>,
    /// Seconds from a `Retry-After` header, when sent.
    pub retry_after_secs: Option<u64>,
    /// The values a whole-batch `VALIDATION_ERROR` lists inside its message
    /// (`Property values were not valid: [{"isValid":false,"name":"email",..}]`): HubSpot
    /// names the property and why, never the input.
    pub refused_values: Vec<RefusedValue>,
}

/// One value HubSpot refused, as a whole-batch `VALIDATION_ERROR` lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefusedValue {
    /// The property.
    pub name: String,
    /// HubSpot's code for it, e.g. `INVALID_EMAIL`, `INVALID_OPTION`.
    pub error: Option<String>,
    /// HubSpot's message for it.
    pub message: Option<String>,
}

/// The list a whole-batch refusal's message carries after its text; nothing when there is
/// none or it does not parse.
fn refused_values(message: Option<&str>) -> Vec<RefusedValue> {
    let Some(list) = message.and_then(|m| m.find('[').map(|at| &m[at..])) else {
        return Vec::new();
    };
    // The list may be followed by more text: read one JSON value and stop.
    let mut values = serde_json::Deserializer::from_str(list).into_iter::<Value>();
    let Some(Ok(Value::Array(items))) = values.next() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let field = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_owned);
            Some(RefusedValue {
                name: field("name")?,
                error: field("error"),
                message: field("message"),
            })
        })
        .collect()
}

/// One entry of an error's `errors` list (HubSpot's `ErrorDetail`).
pub use hubspot_crm_api::shared::ErrorDetail as ApiErrorDetail;

/// Text of a JSON value: a string as it is, anything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A field as text, when present and not null.
fn text_field(object: &Map<String, Value>, name: &str) -> Option<String> {
    object.get(name).filter(|v| !v.is_null()).map(text)
}

/// Context values are lists of strings; a single value, a number or an unexpected shape is
/// kept as text rather than failing the whole answer.
fn context(value: Option<&Value>) -> BTreeMap<String, Vec<String>> {
    match value {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(key, value)| {
                let values = match value {
                    Value::Array(items) => items.iter().map(text).collect(),
                    other => vec![text(other)],
                };
                (key.clone(), values)
            })
            .collect(),
        None | Some(Value::Null) => BTreeMap::new(),
        Some(other) => BTreeMap::from([(String::new(), vec![text(other)])]),
    }
}

fn detail(value: &Value) -> ApiErrorDetail {
    let empty = Map::new();
    let object = value.as_object().unwrap_or(&empty);
    ApiErrorDetail {
        code: text_field(object, "code"),
        context: context(object.get("context")),
        in_: text_field(object, "in"),
        message: text_field(object, "message").or_else(|| {
            // Not an object: keep what it says.
            (!value.is_object()).then(|| text(value))
        }),
        sub_category: text_field(object, "subCategory"),
    }
}

const MAX_RAW_BODY: usize = 4096;

impl ApiError {
    /// Builds the error from a status and the body as received: HubSpot's JSON error read
    /// leniently, or the raw body (an HTML page from a proxy).
    pub fn from_response(status: u16, body: &[u8], retry_after_secs: Option<u64>) -> Self {
        let parsed = serde_json::from_slice::<Value>(body)
            .ok()
            .map(|value| ApiError::from_json(status, &value))
            .filter(|e| {
                e.message.is_some()
                    || e.category.is_some()
                    || e.policy_name.is_some()
                    || e.item_status.is_some()
            });
        match parsed {
            Some(error) => ApiError {
                retry_after_secs,
                ..error
            },
            None => ApiError {
                status,
                raw_body: Some(truncate(body)),
                retry_after_secs,
                ..ApiError::default()
            },
        }
    }

    /// Reads one HubSpot error object (an error body, or a failed item of a batch answer)
    /// whatever its fields hold: every field is optional, and one of an unexpected type is
    /// kept as text instead of failing the answer. `status` is the HTTP status it came with.
    pub fn from_json(status: u16, value: &Value) -> Self {
        let empty = Map::new();
        let object = value.as_object().unwrap_or(&empty);
        let message = text_field(object, "message");
        ApiError {
            status,
            refused_values: refused_values(message.as_deref()),
            category: text_field(object, "category").or_else(|| text_field(object, "errorType")),
            sub_category: text_field(object, "subCategory"),
            message,
            correlation_id: text_field(object, "correlationId"),
            errors: match object.get("errors") {
                Some(Value::Array(items)) => items.iter().map(detail).collect(),
                None | Some(Value::Null) => Vec::new(),
                Some(other) => vec![detail(other)],
            },
            context: context(object.get("context")),
            policy_name: text_field(object, "policyName"),
            item_status: text_field(object, "status"),
            raw_body: (!value.is_object()).then(|| truncate(value.to_string().as_bytes())),
            retry_after_secs: None,
        }
    }

    /// A 429 for the daily limit: retrying cannot succeed before it resets.
    pub fn is_daily_limit(&self) -> bool {
        self.status == 429 && self.policy_name.as_deref() == Some("DAILY")
    }

    /// A 429 of any policy.
    pub fn is_rate_limited(&self) -> bool {
        self.status == 429
    }

    /// HubSpot rejected the request's content (`VALIDATION_ERROR`): a property value, a
    /// missing required property, or, on 2026-09, one of the account's validation rules
    /// (conditionally required properties, required form fields, association permissions).
    /// [`Self::invalid_properties`] names the properties, [`Self::errors`] says why.
    pub fn is_validation_error(&self) -> bool {
        self.category.as_deref() == Some("VALIDATION_ERROR")
    }

    /// The properties HubSpot names as at fault (`context.propertyName` of the error and of
    /// each of its `errors`), in order, each once.
    pub fn invalid_properties(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        let from_error = self.context.get("propertyName").into_iter().flatten();
        let from_details = self
            .errors
            .iter()
            .flat_map(|d| d.context.get("propertyName").into_iter().flatten());
        let from_message = self.refused_values.iter().map(|v| &v.name);
        for name in from_error.chain(from_details).chain(from_message) {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        names
    }

    /// HubSpot refused the request because a unique value is taken (`409`, `CONFLICT`).
    pub fn is_conflict(&self) -> bool {
        self.status == 409 || self.category.as_deref() == Some("CONFLICT")
    }

    /// The id of the record that holds the unique value, when a conflict names it
    /// (`"Contact already exists. Existing ID: 12345"`). HubSpot names only the first
    /// conflicting record of a batch.
    pub fn existing_id(&self) -> Option<&str> {
        if !self.is_conflict() {
            return None;
        }
        let (_, rest) = self.message.as_deref()?.split_once("Existing ID: ")?;
        let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
        (!digits.is_empty()).then_some(digits)
    }

    /// HubSpot refused the whole request for its content and applied none of it: a
    /// `VALIDATION_ERROR` (400) or a unique-value `CONFLICT` (409) from HubSpot itself (a
    /// proxy's page does not count: it says nothing about the inputs).
    pub fn refused_whole(&self) -> bool {
        self.raw_body.is_none()
            && match self.status {
                400 => self.is_validation_error(),
                409 => true,
                _ => false,
            }
    }

    /// The record was not found.
    pub fn is_not_found(&self) -> bool {
        self.status == 404 || self.category.as_deref() == Some("OBJECT_NOT_FOUND")
    }
}

pub(crate) fn truncate(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_RAW_BODY)]);
    text.into_owned()
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HubSpot answered HTTP {}", self.status)?;
        if let Some(category) = &self.category {
            write!(f, " {category}")?;
        }
        if let Some(policy) = &self.policy_name {
            write!(f, " (policy {policy})")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        for detail in &self.errors {
            if let Some(message) = &detail.message {
                write!(f, "; {message}")?;
            }
        }
        if let Some(raw) = &self.raw_body {
            let snippet: String = raw.chars().take(200).collect();
            write!(f, ": non-JSON body: {snippet}")?;
        }
        if self.status == 401 {
            // HubSpot's 401: the token itself, not the request, is at fault.
            write!(f, " (the access token is invalid, expired or revoked)")?;
        }
        if let Some(id) = &self.correlation_id {
            write!(f, " [correlationId {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hubspot_validation_body_is_typed() {
        let body = br#"{"status":"error","message":"Property values were not valid","correlationId":"c-1","category":"VALIDATION_ERROR","errors":[{"message":"Property \"x\" does not exist","code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["x"]}}],"context":{"ids":["1"]}}"#;
        let e = ApiError::from_response(400, body, None);
        assert_eq!(e.category.as_deref(), Some("VALIDATION_ERROR"));
        assert_eq!(e.correlation_id.as_deref(), Some("c-1"));
        assert_eq!(e.errors[0].code.as_deref(), Some("PROPERTY_DOESNT_EXIST"));
        assert_eq!(e.errors[0].context["propertyName"], ["x"]);
        assert_eq!(e.context["ids"], ["1"]);
        assert!(e.raw_body.is_none());
    }

    #[test]
    fn an_account_validation_rule_names_its_properties() {
        let body = br#"{"status":"error","message":"Validation rules failed","correlationId":"c-2","category":"VALIDATION_ERROR","errors":[{"message":"hs_lead_type is required when hs_lead_label is HOT","code":"REQUIRED_FIELD","context":{"propertyName":["hs_lead_type"]}},{"message":"m","context":{"propertyName":["hubspot_owner_id","hs_lead_type"]}}]}"#;
        let e = ApiError::from_response(400, body, None);
        assert!(e.is_validation_error());
        assert_eq!(e.invalid_properties(), ["hs_lead_type", "hubspot_owner_id"]);
        assert_eq!(e.errors[0].code.as_deref(), Some("REQUIRED_FIELD"));
        let not_found = ApiError::from_response(
            404,
            br#"{"message":"m","category":"OBJECT_NOT_FOUND"}"#,
            None,
        );
        assert!(!not_found.is_validation_error());
        assert!(not_found.invalid_properties().is_empty());
    }

    #[test]
    fn html_from_a_proxy_keeps_status_and_body() {
        let e = ApiError::from_response(502, b"<html><body>Bad Gateway</body></html>", None);
        assert_eq!(e.status, 502);
        assert_eq!(
            e.raw_body.as_deref(),
            Some("<html><body>Bad Gateway</body></html>")
        );
        assert!(e.to_string().contains("HTTP 502"));
    }

    #[test]
    fn daily_429_is_its_own_error() {
        let body = br#"{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c","policyName":"DAILY","groupName":"api"}"#;
        let e = Error::from(ApiError::from_response(429, body, None));
        assert!(matches!(e, Error::HubSpotDailyLimit(_)));
        assert_eq!(
            e.api_error().unwrap().category.as_deref(),
            Some("RATE_LIMIT")
        );
    }

    #[test]
    fn single_string_context_values_are_accepted() {
        let body = br#"{"message":"m","category":"C","context":{"objectWriteTraceId":"t-1"}}"#;
        let e = ApiError::from_response(400, body, None);
        assert_eq!(e.context["objectWriteTraceId"], ["t-1"]);
    }

    #[test]
    fn a_401_says_the_token_is_at_fault() {
        let body = br#"{"status":"error","message":"Authentication credentials not found.","correlationId":"c-9","category":"INVALID_AUTHENTICATION"}"#;
        let e = Error::from(ApiError::from_response(401, body, None));
        assert!(matches!(e, Error::Api(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "HubSpot answered HTTP 401 INVALID_AUTHENTICATION: Authentication credentials not found. (the access token is invalid, expired or revoked) [correlationId c-9]"
        );
        let forbidden = ApiError::from_response(403, br#"{"message":"m"}"#, None);
        assert!(!forbidden.to_string().contains("access token"));
    }

    #[test]
    fn validation_error_names_item_and_field() {
        let e = ValidationError::new("hs_lead_name", "must not be blank").at_item(734);
        assert_eq!(
            e.to_string(),
            "invalid input: item 734: hs_lead_name: must not be blank"
        );
    }
}
