//! Properties API and OAuth token endpoint.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{AppState, json, object_type};
use crate::error::{ApiError, ApiResult, correlation_id};
use crate::{Shared, lock};

/// HubSpot's access token lifetime.
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(1800);
/// Fixed creation stamp for built-in definitions.
const DEFINED_AT: &str = "2019-08-06T02:41:52.000Z";

/// The type's definitions in the Properties API shape, configured unique ones included.
fn definitions(s: &Shared, otype: &str) -> Vec<Value> {
    let mut store = lock(&s.store);
    let mut defs: Vec<Value> = store
        .type_store(otype)
        .defs()
        .iter()
        .enumerate()
        .map(|(i, p)| p.to_json(i, DEFINED_AT))
        .collect();
    crate::pipelines::list_options(&store.pipelines, otype, &mut defs);
    defs
}

pub(crate) async fn properties(
    State(s): State<AppState>,
    Path(otype): Path<String>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    Ok(json(
        StatusCode::OK,
        json!({"results": definitions(&s, &otype)}),
    ))
}

pub(crate) async fn property(
    State(s): State<AppState>,
    Path((otype, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    definitions(&s, &otype)
        .into_iter()
        .find(|p| p["name"] == name.as_str())
        .map(|p| json(StatusCode::OK, p))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Unable to find property {name} for object type {otype}"
            ))
        })
}

fn oauth_error(status: &str, message: &str) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        json!({"status": status, "message": message, "correlationId": correlation_id()}),
    )
}

pub(crate) async fn oauth_token(State(s): State<AppState>, body: Bytes) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    if field("grant_type") != "refresh_token" {
        return oauth_error("BAD_GRANT_TYPE", "missing or unsupported grant_type");
    }
    let Some(client) = s
        .config
        .oauth_clients
        .iter()
        .find(|c| c.client_id == field("client_id"))
    else {
        return oauth_error("BAD_CLIENT_ID", "missing or unknown client id");
    };
    if client.client_secret != field("client_secret") {
        return oauth_error("BAD_CLIENT_SECRET", "missing or invalid client secret");
    }
    if client.refresh_token != field("refresh_token") {
        return oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token");
    }
    let ttl = s.config.oauth_token_ttl.unwrap_or(DEFAULT_TOKEN_TTL);
    let token = format!("sandbox-oauth-{}", uuid::Uuid::new_v4().simple());
    let now = Instant::now();
    // A lifetime too long for the clock never expires in practice.
    let expires = now
        .checked_add(ttl)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600));
    lock(&s.tokens).issue(token.clone(), expires, now);
    json(
        StatusCode::OK,
        json!({
            "access_token": token,
            "refresh_token": client.refresh_token,
            "expires_in": ttl.as_secs(),
            "token_type": "bearer",
        }),
    )
}
