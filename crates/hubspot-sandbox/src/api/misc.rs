//! The OAuth token endpoint.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::{AppState, json};
use crate::error::correlation_id;
use crate::lock;

/// HubSpot's access token lifetime.
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(1800);
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
