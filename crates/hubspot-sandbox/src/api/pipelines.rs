//! The pipelines API (`/crm/v3/pipelines/{objectType}` and `/crm/pipelines/2026-09/{objectType}`,
//! pipelines spec v3 and 2026-09: the same operations and shapes): pipelines and stages of
//! any object type, from the store's [`Pipelines`](crate::pipelines::Pipelines).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::{AppState, Version, body_object, json, now, object_type};
use crate::error::ApiResult;
use crate::lock;
use crate::pipelines::{PatchIn, PipelineIn, StageIn, not_found_pipeline, not_found_stage, parse};

/// Prefix of the pipelines paths of each API line.
fn prefix(v: Version) -> &'static str {
    match v {
        Version::Legacy => "/crm/v3/pipelines",
        Version::V2026_09 => "/crm/pipelines/2026-09",
    }
}

/// The pipelines routes under `v`'s prefix.
pub(crate) fn routes(v: Version) -> Router<AppState> {
    let p = prefix(v);
    Router::new()
        .route(&format!("{p}/{{otype}}"), get(list).post(create))
        .route(
            &format!("{p}/{{otype}}/{{pipeline}}"),
            get(read).put(replace).patch(update).delete(archive),
        )
        .route(&format!("{p}/{{otype}}/{{pipeline}}/audit"), get(audit))
        .route(
            &format!("{p}/{{otype}}/{{pipeline}}/stages"),
            get(list_stages).post(create_stage),
        )
        .route(
            &format!("{p}/{{otype}}/{{pipeline}}/stages/{{stage}}"),
            get(read_stage)
                .put(replace_stage)
                .patch(update_stage)
                .delete(archive_stage),
        )
        .route(
            &format!("{p}/{{otype}}/{{pipeline}}/stages/{{stage}}/audit"),
            get(stage_audit),
        )
}

/// `GET {prefix}/{objectType}`: the live pipelines, in display order, with their live
/// stages (`CollectionResponsePipelineNoPaging`).
async fn list(State(s): State<AppState>, Path(otype): Path<String>) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let store = lock(&s.store);
    let results: Vec<Value> = store
        .pipelines
        .live(&otype)
        .iter()
        .map(|p| p.to_json())
        .collect();
    Ok(json(StatusCode::OK, json!({ "results": results })))
}

/// `POST {prefix}/{objectType}`: 201 with the pipeline (spec).
async fn create(
    State(s): State<AppState>,
    Path(otype): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let input: PipelineIn = parse(body_object(&body)?)?;
    let mut store = lock(&s.store);
    let pipeline = store.pipelines.create(&otype, input, now())?;
    Ok(json(StatusCode::CREATED, pipeline.to_json()))
}

/// `GET {prefix}/{objectType}/{pipelineId}`: a live pipeline, else 404.
async fn read(
    State(s): State<AppState>,
    Path((otype, pipeline)): Path<(String, String)>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let store = lock(&s.store);
    let found = store.pipelines.live_pipeline(&otype, &pipeline);
    let found = found.ok_or_else(|| not_found_pipeline(&otype, &pipeline))?;
    Ok(json(StatusCode::OK, found.to_json()))
}

/// `PUT {prefix}/{objectType}/{pipelineId}`: 200 with the pipeline replaced.
async fn replace(
    State(s): State<AppState>,
    Path((otype, pipeline)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let input: PipelineIn = parse(body_object(&body)?)?;
    let mut store = lock(&s.store);
    let replaced = store.pipelines.replace(&otype, &pipeline, input, now())?;
    Ok(json(StatusCode::OK, replaced.to_json()))
}

/// `PATCH {prefix}/{objectType}/{pipelineId}`: 200 with the pipeline changed (or restored).
async fn update(
    State(s): State<AppState>,
    Path((otype, pipeline)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let input: PatchIn = parse(body_object(&body)?)?;
    let mut store = lock(&s.store);
    let changed = store.pipelines.patch(&otype, &pipeline, input, now())?;
    Ok(json(StatusCode::OK, changed.to_json()))
}

/// `DELETE {prefix}/{objectType}/{pipelineId}`: 204 (spec); a pipeline that is not live is
/// a 404.
async fn archive(
    State(s): State<AppState>,
    Path((otype, pipeline)): Path<(String, String)>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let mut store = lock(&s.store);
    store.pipelines.archive(&otype, &pipeline, now())?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET .../audit` (and the stage's): the sandbox keeps no audit trail and answers an empty
/// `CollectionResponsePublicAuditInfoNoPaging` for what exists.
async fn audit(
    State(s): State<AppState>,
    Path((otype, pipeline)): Path<(String, String)>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let store = lock(&s.store);
    store
        .pipelines
        .live_pipeline(&otype, &pipeline)
        .ok_or_else(|| not_found_pipeline(&otype, &pipeline))?;
    Ok(json(StatusCode::OK, json!({ "results": [] })))
}

/// `GET .../stages`: the live stages, in display order.
async fn list_stages(
    State(s): State<AppState>,
    Path((otype, pipeline)): Path<(String, String)>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let store = lock(&s.store);
    let found = store.pipelines.live_pipeline(&otype, &pipeline);
    let found = found.ok_or_else(|| not_found_pipeline(&otype, &pipeline))?;
    let results: Vec<Value> = found.live_stages().iter().map(|s| s.to_json()).collect();
    Ok(json(StatusCode::OK, json!({ "results": results })))
}

/// `POST .../stages`: 201 with the stage (spec).
async fn create_stage(
    State(s): State<AppState>,
    Path((otype, pipeline)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let input: StageIn = parse(body_object(&body)?)?;
    let mut store = lock(&s.store);
    let stage = store
        .pipelines
        .create_stage(&otype, &pipeline, input, now())?;
    Ok(json(StatusCode::CREATED, stage.to_json()))
}

/// The live stage `stage` of the live pipeline `pipeline`, as JSON, else 404.
fn stage_json(s: &AppState, otype: &str, pipeline: &str, stage: &str) -> ApiResult<Value> {
    let store = lock(&s.store);
    let p = store.pipelines.live_pipeline(otype, pipeline);
    let p = p.ok_or_else(|| not_found_pipeline(otype, pipeline))?;
    p.live_stage(stage)
        .map(|s| s.to_json())
        .ok_or_else(|| not_found_stage(stage, pipeline))
}

/// `GET .../stages/{stageId}`.
async fn read_stage(
    State(s): State<AppState>,
    Path((otype, pipeline, stage)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    Ok(json(
        StatusCode::OK,
        stage_json(&s, &otype, &pipeline, &stage)?,
    ))
}

/// `PUT .../stages/{stageId}`: 200 with the stage replaced.
async fn replace_stage(
    State(s): State<AppState>,
    Path((otype, pipeline, stage)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let input: StageIn = parse(body_object(&body)?)?;
    let mut store = lock(&s.store);
    let replaced = store
        .pipelines
        .replace_stage(&otype, &pipeline, &stage, input, now())?;
    Ok(json(StatusCode::OK, replaced.to_json()))
}

/// `PATCH .../stages/{stageId}`: 200 with the stage changed (or restored).
async fn update_stage(
    State(s): State<AppState>,
    Path((otype, pipeline, stage)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let input: PatchIn = parse(body_object(&body)?)?;
    let mut store = lock(&s.store);
    let changed = store
        .pipelines
        .patch_stage(&otype, &pipeline, &stage, input, now())?;
    Ok(json(StatusCode::OK, changed.to_json()))
}

/// `DELETE .../stages/{stageId}`: 204 (spec); from then on records are refused the stage.
async fn archive_stage(
    State(s): State<AppState>,
    Path((otype, pipeline, stage)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    let mut store = lock(&s.store);
    store
        .pipelines
        .archive_stage(&otype, &pipeline, &stage, now())?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET .../stages/{stageId}/audit`: empty, as [`audit`].
async fn stage_audit(
    State(s): State<AppState>,
    Path((otype, pipeline, stage)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let otype = object_type(&s, &otype)?;
    stage_json(&s, &otype, &pipeline, &stage)?;
    Ok(json(StatusCode::OK, json!({ "results": [] })))
}
