//! The property validations API (property validations spec, v3 and 2026-09): the account's
//! rules per property, read by `GET {prefix}/{objectTypeId}`, `/{propertyName}` and
//! `/{propertyName}/rule-type/{ruleType}`, set by `PUT` of the last.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::{AppState, body_object, json, object_type};
use crate::error::{ApiError, ApiResult};
use crate::property_validations::RULE_TYPES;
use crate::{Shared, lock};

/// The routes under `prefix` (`/crm/v3/property-validations` or
/// `/crm/property-validations/2026-09`): both lines answer alike.
pub(crate) fn routes(prefix: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{prefix}/{{otype}}"), get(list))
        .route(&format!("{prefix}/{{otype}}/{{name}}"), get(property))
        .route(
            &format!("{prefix}/{{otype}}/{{name}}/rule-type/{{rule_type}}"),
            get(rule).put(put_rule),
        )
}

/// Every property of the type that has rules, with its rules
/// (`CollectionResponsePublicPropertyValidationRuleMapNoPaging`).
async fn list(State(s): State<AppState>, Path(otype): Path<String>) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let rules = lock(&s.property_validations).of(&otype).unwrap_or_default();
    let results: Vec<Value> = rules
        .iter()
        .filter(|(_, list)| !list.is_empty())
        .map(|(name, list)| {
            json!({
                "propertyName": name,
                "propertyValidationRules": list.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json(StatusCode::OK, json!({"results": results})))
}

/// One property's rules, `[]` when it has none
/// (`CollectionResponsePublicPropertyValidationRuleNoPaging`).
async fn property(
    State(s): State<AppState>,
    Path((otype, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let rules = property_rules(&s, &otype, &name)?;
    Ok(json(StatusCode::OK, json!({"results": rules})))
}

/// One rule of a property (`PublicPropertyValidationRule`); 404 when it has none of the type.
async fn rule(
    State(s): State<AppState>,
    Path((otype, name, rule_type)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let rule_type = known_rule_type(&rule_type)?;
    property_rules(&s, &otype, &name)?
        .into_iter()
        .find(|r| r["ruleType"] == rule_type)
        .map(|r| json(StatusCode::OK, r))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "No {rule_type} validation rule found for property {name} of object type {otype}"
            ))
        })
}

/// Sets the property's rule of the type, keeping its other rules (property validations
/// guide); the spec answers 204 without a body.
async fn put_rule(
    State(s): State<AppState>,
    Path((otype, name, rule_type)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let rule_type = known_rule_type(&rule_type)?;
    let body = body_object(&body)?;
    let (args, normalize) = rule_update(&body)?;
    property_rules(&s, &otype, &name)?;
    lock(&s.property_validations).put(&otype, &name, rule_type, args, normalize);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The property's rules as JSON; 404 for a property a type with a schema does not define
/// (and that has no rules). Types without a schema take any property.
fn property_rules(s: &Shared, otype: &str, name: &str) -> ApiResult<Vec<Value>> {
    let rules = lock(&s.property_validations)
        .of(otype)
        .and_then(|r| r.get(name).cloned())
        .unwrap_or_default();
    let defined = {
        let mut store = lock(&s.store);
        let ts = store.type_store(otype);
        ts.schema.is_none() || ts.prop(name).is_some()
    };
    if rules.is_empty() && !defined {
        return Err(ApiError::not_found(format!(
            "Unable to find property {name} for object type {otype}"
        )));
    }
    Ok(rules.iter().map(|r| r.to_json()).collect())
}

/// A rule type of the spec's enum; another is a 400.
fn known_rule_type(rule_type: &str) -> ApiResult<&'static str> {
    RULE_TYPES
        .iter()
        .copied()
        .find(|t| *t == rule_type)
        .ok_or_else(|| {
            ApiError::validation(format!(
                "Unable to parse \"{rule_type}\" as a rule type: expected one of {}",
                RULE_TYPES.join(", ")
            ))
        })
}

/// The `PublicPropertyValidationRuleUpdate` of a PUT: `ruleArguments` (required, strings)
/// and `shouldApplyNormalization` (optional, default false).
fn rule_update(body: &Value) -> ApiResult<(Vec<String>, bool)> {
    let args = body
        .get("ruleArguments")
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| {
            ApiError::validation("Invalid input JSON: ruleArguments must be a list of strings")
        })?;
    let normalize = match body.get("shouldApplyNormalization") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ApiError::validation(
                "Invalid input JSON: shouldApplyNormalization must be a boolean",
            ));
        }
    };
    Ok((args, normalize))
}
