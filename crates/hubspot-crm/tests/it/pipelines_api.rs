//! Pipelines through `client.pipelines()`: every operation's exact request on both API
//! versions, the per-client cache (read once, dropped by writes), the stage checks the
//! account checks build on, and inputs refused before anything is sent.

use std::collections::BTreeMap;

use httpmock::Method;
use httpmock::prelude::*;
use hubspot_crm::api::pipelines::types::Pipeline as GeneratedPipeline;
use hubspot_crm::api::shared::{
    PipelineInput, PipelinePatchInput, PipelineReplaceInput, PipelineStageInput,
    PipelineStagePatchInput, PipelineStageReplaceInput,
};
use hubspot_crm::{AccountPipelines, ApiVersion, Client, Pipeline, Pipelines};
use serde_json::{Value, json};

use crate::support::{catch_all, client, client_with, expect_validation};

/// The lead pipeline HubSpot provisions.
const LEAD: &str = "lead-pipeline-id";

/// The paths' prefix on each version.
fn prefix(version: ApiVersion) -> &'static str {
    match version {
        ApiVersion::V3 => "/crm/v3/pipelines",
        ApiVersion::V2026_09 => "/crm/pipelines/2026-09",
        other => panic!("no paths for {other}"),
    }
}

fn versioned(server: &MockServer, version: ApiVersion) -> Client {
    client_with(server, |b| b.api_version(version))
}

/// A stage as HubSpot answers it (2026-09 always sends `writePermissions`; v3 may not).
fn stage_json(id: &str, label: &str, order: i32, archived: bool) -> Value {
    let mut stage = json!({
        "id": id,
        "label": label,
        "displayOrder": order,
        "metadata": {},
        "createdAt": "1970-01-01T00:00:00Z",
        "updatedAt": "2025-02-11T16:41:29.387Z",
        "archived": archived,
        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
    });
    if archived {
        stage["archivedAt"] = json!("2025-06-01T12:00:00Z");
    }
    stage
}

/// HubSpot's lead pipeline, its stages listed out of display order as an answer may list
/// them.
fn lead_pipeline_json() -> Value {
    json!({
        "id": "lead-pipeline-id",
        "label": "Lead pipeline",
        "displayOrder": 0,
        "createdAt": "1970-01-01T00:00:00Z",
        "updatedAt": "2025-02-11T16:41:29.387Z",
        "archived": false,
        "stages": [
            stage_json("connected-stage-id", "Connected", 2, false),
            stage_json("new-stage-id", "New", 0, false),
            stage_json("attempting-stage-id", "Attempting", 1, false),
            stage_json("retired-stage-id", "Retired", 3, true),
        ]
    })
}

/// A second lead pipeline, `partners`, with one stage.
fn partners_json() -> Value {
    json!({
        "id": "75000001",
        "label": "Partners",
        "displayOrder": 1,
        "createdAt": "2025-05-01T08:00:00Z",
        "updatedAt": "2025-05-01T08:00:00Z",
        "archived": false,
        "stages": [stage_json("partner-open", "Open", 0, false)]
    })
}

fn account() -> AccountPipelines {
    let pipelines = [lead_pipeline_json(), partners_json()]
        .into_iter()
        .map(|p| Pipeline::from(serde_json::from_value::<GeneratedPipeline>(p).unwrap()));
    AccountPipelines::new("leads", pipelines)
}

fn stage_input(label: &str, order: i32, metadata: &[(&str, &str)]) -> PipelineStageInput {
    PipelineStageInput {
        display_order: order,
        label: label.to_owned(),
        metadata: metadata
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        stage_id: None,
    }
}

/// One mocked operation: method, path, expected body (exact), answer status and body.
type Expected = (Method, String, Option<Value>, u16, Value);

/// Mocks each operation, answering only a request with its exact path, no query string and,
/// when given, its exact JSON body.
async fn mock_each(server: &MockServer, expected: Vec<Expected>) -> Vec<httpmock::Mock<'_>> {
    let mut mocks = Vec::new();
    for (method, path, body, status, answer) in expected {
        let mock = server
            .mock_async(|when, then| {
                let when = when
                    .method(method)
                    .path(path)
                    .query_param_count(".*", ".*", 0);
                if let Some(body) = body {
                    when.json_body(body);
                }
                let then = then.status(status);
                if !answer.is_null() {
                    then.json_body(answer);
                }
            })
            .await;
        mocks.push(mock);
    }
    mocks
}

/// Each mock was called exactly once.
async fn called_once(mocks: &[httpmock::Mock<'_>], version: ApiVersion) {
    for (i, mock) in mocks.iter().enumerate() {
        assert_eq!(mock.calls_async().await, 1, "{version}: operation {i}");
    }
}

/// The reads under `p`: list, get, list and get stages.
fn reads(p: &str) -> Vec<Expected> {
    let lead = format!("{p}/leads/lead-pipeline-id");
    vec![
        (
            GET,
            format!("{p}/leads"),
            None,
            200,
            json!({"results": [partners_json(), lead_pipeline_json()]}),
        ),
        (GET, lead.clone(), None, 200, lead_pipeline_json()),
        (
            GET,
            format!("{lead}/stages"),
            None,
            200,
            json!({"results": [
                stage_json("attempting-stage-id", "Attempting", 1, false),
                stage_json("new-stage-id", "New", 0, false),
            ]}),
        ),
        (
            GET,
            format!("{lead}/stages/new-stage-id"),
            None,
            200,
            stage_json("new-stage-id", "New", 0, false),
        ),
    ]
}

#[tokio::test]
async fn pipeline_reads_send_their_exact_paths_on_both_versions() {
    for version in ApiVersion::ALL.iter().copied() {
        let server = MockServer::start_async().await;
        let mocks = mock_each(&server, reads(prefix(version))).await;
        let pipelines = versioned(&server, version).pipelines();

        let listed = pipelines.list("leads").await.unwrap();
        let ids: Vec<&str> = listed.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            ["75000001", "lead-pipeline-id"],
            "as HubSpot listed them"
        );
        let lead = pipelines.get("leads", "lead-pipeline-id").await.unwrap();
        let ordered: Vec<&str> = lead
            .ordered_stages()
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(
            ordered,
            [
                "new-stage-id",
                "attempting-stage-id",
                "connected-stage-id",
                "retired-stage-id"
            ]
        );
        let live: Vec<&str> = lead.live_stages().map(|s| s.id.as_str()).collect();
        assert_eq!(
            live,
            ["new-stage-id", "attempting-stage-id", "connected-stage-id"]
        );
        assert_eq!(
            lead.stage("new-stage-id")
                .unwrap()
                .write_permissions
                .as_deref(),
            Some("CRM_PERMISSIONS_ENFORCEMENT"),
            "{version}"
        );
        let listed_stages = pipelines
            .list_stages("leads", "lead-pipeline-id")
            .await
            .unwrap();
        let ids: Vec<&str> = listed_stages.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            ["new-stage-id", "attempting-stage-id"],
            "in display order"
        );
        let one = pipelines
            .get_stage("leads", "lead-pipeline-id", "new-stage-id")
            .await
            .unwrap();
        assert_eq!(one.label.as_deref(), Some("New"));
        called_once(&mocks, version).await;
    }
}

/// The writes under `p`, in the order [`send_every_write`] sends them.
fn writes(p: &str) -> Vec<Expected> {
    let lead = format!("{p}/leads/lead-pipeline-id");
    let stage = format!("{lead}/stages/new-stage-id");
    vec![
        (
            POST,
            format!("{p}/leads"),
            Some(json!({"displayOrder": 1, "label": "Partners", "stages": [
                {"displayOrder": 0, "label": "Open", "metadata": {}}
            ]})),
            201,
            partners_json(),
        ),
        (
            PATCH,
            lead.clone(),
            Some(json!({"label": "Leads"})),
            200,
            lead_pipeline_json(),
        ),
        (
            PUT,
            lead.clone(),
            Some(json!({"displayOrder": 0, "label": "Leads", "stages": [
                {"displayOrder": 0, "label": "New", "metadata": {}, "stageId": "new-stage-id"}
            ]})),
            200,
            lead_pipeline_json(),
        ),
        (DELETE, lead.clone(), None, 204, Value::Null),
        (
            POST,
            format!("{lead}/stages"),
            Some(json!({"displayOrder": 4, "label": "Nurturing", "metadata": {}})),
            201,
            stage_json("75000002", "Nurturing", 4, false),
        ),
        (
            PATCH,
            stage.clone(),
            Some(json!({"displayOrder": 9, "metadata": {}})),
            200,
            stage_json("new-stage-id", "New", 9, false),
        ),
        (
            PUT,
            stage.clone(),
            Some(json!({"displayOrder": 0, "label": "Fresh", "metadata": {}})),
            200,
            stage_json("new-stage-id", "Fresh", 0, false),
        ),
        (DELETE, stage, None, 204, Value::Null),
    ]
}

/// Sends each write of [`writes`] once.
async fn send_every_write(pipelines: &Pipelines) {
    let partners = PipelineInput {
        display_order: 1,
        label: "Partners".into(),
        pipeline_id: None,
        stages: vec![stage_input("Open", 0, &[])],
    };
    assert_eq!(
        pipelines.create("leads", partners).await.unwrap().id,
        "75000001"
    );
    let patch = PipelinePatchInput {
        label: Some("Leads".into()),
        ..PipelinePatchInput::default()
    };
    pipelines.update("leads", LEAD, patch).await.unwrap();
    let mut kept = stage_input("New", 0, &[]);
    kept.stage_id = Some("new-stage-id".into());
    let replacement = PipelineReplaceInput {
        display_order: 0,
        label: "Leads".into(),
        stages: vec![kept],
    };
    pipelines.replace("leads", LEAD, replacement).await.unwrap();
    pipelines.archive("leads", LEAD).await.unwrap();
    let nurturing = stage_input("Nurturing", 4, &[]);
    let created = pipelines
        .create_stage("leads", LEAD, nurturing)
        .await
        .unwrap();
    assert_eq!(created.id, "75000002");
    let moved = PipelineStagePatchInput {
        archived: None,
        display_order: Some(9),
        label: None,
        metadata: BTreeMap::new(),
    };
    let moved = pipelines
        .update_stage("leads", LEAD, "new-stage-id", moved)
        .await
        .unwrap();
    assert_eq!(moved.display_order, 9);
    let fresh = PipelineStageReplaceInput {
        display_order: 0,
        label: "Fresh".into(),
        metadata: BTreeMap::new(),
    };
    pipelines
        .replace_stage("leads", LEAD, "new-stage-id", fresh)
        .await
        .unwrap();
    pipelines
        .archive_stage("leads", LEAD, "new-stage-id")
        .await
        .unwrap();
}

#[tokio::test]
async fn pipeline_writes_send_their_exact_paths_and_bodies_on_both_versions() {
    for version in ApiVersion::ALL.iter().copied() {
        let server = MockServer::start_async().await;
        let mocks = mock_each(&server, writes(prefix(version))).await;
        send_every_write(&versioned(&server, version).pipelines()).await;
        called_once(&mocks, version).await;
    }
}

#[tokio::test]
async fn the_cache_reads_once_for_many_uses_and_a_write_drops_it() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET).path("/crm/v3/pipelines/leads");
            then.status(200)
                .json_body(json!({"results": [lead_pipeline_json()]}));
        })
        .await;
    let create_stage = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/crm/v3/pipelines/leads/lead-pipeline-id/stages");
            then.status(201)
                .json_body(stage_json("75000002", "Nurturing", 4, false));
        })
        .await;
    let client = client(&server);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let pipelines = client.clone().pipelines();
            tokio::spawn(async move { pipelines.of("leads").await.unwrap() })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().object_type(), "leads");
    }
    for _ in 0..5 {
        let leads = client.pipelines().of("LEADS").await.unwrap();
        assert_eq!(leads.check_stage(None, "new-stage-id"), Ok(()));
    }
    assert_eq!(list.calls_async().await, 1, "one read for every use");
    // Reading the list stores it as well.
    client.pipelines().list("leads").await.unwrap();
    client.pipelines().of("leads").await.unwrap();
    assert_eq!(list.calls_async().await, 2);
    // A write drops the copy: the next use reads again.
    client
        .pipelines()
        .create_stage(
            "leads",
            "lead-pipeline-id",
            stage_input("Nurturing", 4, &[]),
        )
        .await
        .unwrap();
    assert_eq!(create_stage.calls_async().await, 1);
    client.pipelines().of("leads").await.unwrap();
    client.pipelines().of("leads").await.unwrap();
    assert_eq!(list.calls_async().await, 3);
    // `refresh` reads whatever the cache holds.
    client.pipelines().refresh("leads").await.unwrap();
    assert_eq!(list.calls_async().await, 4);
}

#[test]
fn check_stage_tells_stages_of_the_pipeline_from_others_and_archived_ones() {
    let leads = account();
    assert_eq!(leads.object_type(), "leads");
    assert_eq!(leads.len(), 2);
    assert_eq!(leads.default_pipeline().unwrap().id, "lead-pipeline-id");
    let order: Vec<&str> = leads
        .stages("lead-pipeline-id")
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(
        order,
        ["new-stage-id", "attempting-stage-id", "connected-stage-id"]
    );
    assert!(leads.stages("no-such-pipeline").is_empty());

    assert_eq!(
        leads.check_stage(Some("lead-pipeline-id"), "connected-stage-id"),
        Ok(())
    );
    assert_eq!(
        leads.check_stage(Some("lead-pipeline-id"), "partner-open"),
        Err("`partner-open` is not a stage of pipeline `lead-pipeline-id` (Lead pipeline) (it is a stage of pipeline `75000001` (Partners)); its stages: `new-stage-id`, `attempting-stage-id`, `connected-stage-id`".to_owned())
    );
    assert_eq!(
        leads.check_stage(Some("lead-pipeline-id"), "retired-stage-id"),
        Err(
            "stage `retired-stage-id` of pipeline `lead-pipeline-id` (Lead pipeline) is archived"
                .to_owned()
        )
    );
    assert_eq!(leads.check_stage(Some("75000001"), "partner-open"), Ok(()));
    // Without a pipeline, a live stage of any live pipeline.
    assert_eq!(leads.check_stage(None, "partner-open"), Ok(()));
    assert!(
        leads
            .check_stage(None, "retired-stage-id")
            .unwrap_err()
            .contains("archived")
    );
    assert_eq!(
        leads.check_stage(None, "nope"),
        Err("`nope` is not a stage of any pipeline of leads".to_owned())
    );
    assert_eq!(
        leads.check_stage(Some("gone"), "new-stage-id"),
        Err(
            "`gone` is not a pipeline of leads; its pipelines: `lead-pipeline-id`, `75000001`"
                .to_owned()
        )
    );
    assert!(leads.check_stage(Some("lead-pipeline-id"), " ").is_err());
    assert_eq!(leads.check_pipeline("75000001"), Ok(()));
    assert!(leads.check_pipeline("gone").is_err());
}

#[test]
fn an_archived_pipeline_checks_no_stage() {
    let mut archived = partners_json();
    archived["archived"] = json!(true);
    archived["archivedAt"] = json!("2025-06-01T12:00:00Z");
    let pipelines = [lead_pipeline_json(), archived]
        .into_iter()
        .map(|p| Pipeline::from(serde_json::from_value::<GeneratedPipeline>(p).unwrap()));
    let leads = AccountPipelines::new("leads", pipelines);
    assert_eq!(
        leads.check_pipeline("75000001"),
        Err("pipeline `75000001` (Partners) of leads is archived".to_owned())
    );
    assert!(leads.check_stage(Some("75000001"), "partner-open").is_err());
    assert!(leads.check_stage(None, "partner-open").is_err());
    assert!(leads.stages("75000001").is_empty());
}

#[tokio::test]
async fn bad_inputs_are_refused_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let nothing = catch_all(&server).await;
    let pipelines = client(&server).pipelines();
    let pipeline = |label: &str, stages: Vec<PipelineStageInput>| PipelineInput {
        display_order: 0,
        label: label.to_owned(),
        pipeline_id: None,
        stages,
    };
    let field = |r: hubspot_crm::Result<Pipeline>| expect_validation(r).field;

    assert_eq!(field(pipelines.get("../objects", "x").await), "objectType");
    assert_eq!(field(pipelines.get("leads", "a/b").await), "pipelineId");
    assert_eq!(
        field(pipelines.create("leads", pipeline(" ", vec![])).await),
        "label"
    );
    let mut chosen = pipeline("Partners", vec![]);
    chosen.pipeline_id = Some("..".into());
    assert_eq!(field(pipelines.create("leads", chosen).await), "pipelineId");
    let twice = vec![stage_input("Open", 0, &[]), stage_input("Open", 1, &[])];
    assert_eq!(
        field(pipelines.create("leads", pipeline("P", twice)).await),
        "stages[1].label"
    );
    let no_probability = vec![stage_input("Open", 0, &[])];
    assert_eq!(
        field(
            pipelines
                .create("deals", pipeline("P", no_probability))
                .await
        ),
        "stages[0].metadata.probability"
    );
    let quarter = vec![stage_input("Open", 0, &[("probability", "0.25")])];
    assert_eq!(
        field(pipelines.create("0-3", pipeline("P", quarter)).await),
        "stages[0].metadata.probability"
    );
    let archive_by_patch = PipelinePatchInput {
        archived: Some(true),
        ..PipelinePatchInput::default()
    };
    assert_eq!(
        field(
            pipelines
                .update("leads", "lead-pipeline-id", archive_by_patch)
                .await
        ),
        "archived"
    );
    let stage = pipelines
        .create_stage(
            "tickets",
            "0",
            stage_input("Escalated", 5, &[("ticketState", "open")]),
        )
        .await;
    assert_eq!(expect_validation(stage).field, "metadata.ticketState");
    let stage = pipelines
        .archive_stage("leads", "lead-pipeline-id", "%2e%2e")
        .await;
    assert_eq!(expect_validation(stage).field, "stageId");
    let stages = pipelines.list_stages("leads", "").await;
    assert_eq!(expect_validation(stages).field, "pipelineId");
    assert_eq!(nothing.calls_async().await, 0);
}
