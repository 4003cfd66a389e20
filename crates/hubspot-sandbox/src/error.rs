//! HubSpot-shaped error bodies.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// A new correlation id (HubSpot sends a UUID with every error).
pub(crate) fn correlation_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An error answer: status plus JSON body.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub body: Value,
    /// Whether a batch refused whole for this error answers only `status`, `message`,
    /// `correlationId` and `category`, as HubSpot answers refused values and unique
    /// conflicts (hubspot-facts.md, "Batch writes as HubSpot answers them").
    bare_when_refusing_batch: bool,
}

/// One entry of `errors[]`.
#[derive(Debug, Clone)]
pub(crate) struct Detail {
    pub message: String,
    pub code: Option<String>,
    pub context: Option<Value>,
}

impl Detail {
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("message".into(), json!(self.message));
        if let Some(c) = &self.code {
            m.insert("code".into(), json!(c));
        }
        if let Some(c) = &self.context {
            m.insert("context".into(), c.clone());
        }
        Value::Object(m)
    }
}

impl ApiError {
    pub fn new(status: StatusCode, category: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: json!({
                "status": "error",
                "message": message.into(),
                "correlationId": correlation_id(),
                "category": category,
            }),
            bare_when_refusing_batch: false,
        }
    }

    /// Marks the error as one a whole-batch refusal answers bare (see
    /// [`ApiError::refusing_batch`]).
    pub fn bare_when_refusing_batch(mut self) -> Self {
        self.bare_when_refusing_batch = true;
        self
    }

    /// The answer when this error, met at one input, refuses a whole batch: the body names
    /// the property or the existing record, never the input. Refused values and unique
    /// conflicts keep only `status`, `message`, `correlationId` and `category`; other errors
    /// keep their details.
    pub fn refusing_batch(mut self) -> Self {
        if self.bare_when_refusing_batch
            && let Value::Object(m) = &mut self.body
        {
            m.retain(|k, _| {
                matches!(
                    k.as_str(),
                    "status" | "message" | "correlationId" | "category"
                )
            });
        }
        self
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
    }

    pub fn not_found_object() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "Object not found.  objectId are usually numeric.",
        )
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND", message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "CONFLICT", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "INVALID_AUTHENTICATION", message)
    }

    pub fn with_sub_category(mut self, sub: &str) -> Self {
        self.body["subCategory"] = json!(sub);
        self
    }

    pub fn with_errors(mut self, details: &[Detail]) -> Self {
        self.body["errors"] = Value::Array(details.iter().map(Detail::to_json).collect());
        self
    }

    pub fn with_context(mut self, context: Value) -> Self {
        self.body["context"] = context;
        self
    }

    pub fn category(&self) -> &str {
        self.body["category"].as_str().unwrap_or("VALIDATION_ERROR")
    }

    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }

    /// The error as an item of a batch `errors[]`: its own context (e.g. a conflict's
    /// existing id) with the given entries added.
    pub fn to_batch_error(&self, context: Value) -> Value {
        let mut ctx = match self.body.get("context") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        if let Value::Object(extra) = context {
            ctx.extend(extra);
        }
        let mut v = json!({
            "status": "error",
            "category": self.category(),
            "message": self.message(),
            "context": ctx,
        });
        if let Some(e) = self.body.get("errors") {
            v["errors"] = e.clone();
        }
        if let Some(s) = self.body.get("subCategory") {
            v["subCategory"] = s.clone();
        }
        v
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

/// Result type of handlers.
pub(crate) type ApiResult<T> = Result<T, ApiError>;
