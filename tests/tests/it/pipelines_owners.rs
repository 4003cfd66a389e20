//! Pipelines and owners end to end, on both API versions against the sandbox: a lead read
//! through its pipeline's stages in order, a stage created through the client usable at once
//! and another pipeline's stage refused (by the client's check before sending, and by the
//! sandbox), and owners listed across pages and assigned.

use hubspot_crm::api::shared::{PipelineInput, PipelineStageInput};
use hubspot_crm::{
    ApiError, ApiVersion, Client, Error, Pipeline, ReadOptions, Record, RecordUpdate,
};
use hubspot_sandbox::{Owner, Sandbox, SandboxConfig};

use crate::common::{self, create_contact, lead_input, requests_to, sandbox};

fn on(sandbox: &Sandbox, version: ApiVersion) -> Client {
    common::client(sandbox).with_api_version(version)
}

fn pipelines_path(version: ApiVersion, object_type: &str) -> String {
    match version {
        ApiVersion::V3 => format!("/crm/v3/pipelines/{object_type}"),
        ApiVersion::V2026_09 => format!("/crm/pipelines/2026-09/{object_type}"),
        other => panic!("no paths known for {other}"),
    }
}

fn owners_path(version: ApiVersion) -> &'static str {
    match version {
        ApiVersion::V3 => "/crm/v3/owners",
        ApiVersion::V2026_09 => "/crm/owners/2026-09",
        other => panic!("no paths known for {other}"),
    }
}

/// The lead's pipeline and stage, read back.
async fn stage_of(client: &Client, lead: &str) -> (Option<String>, Option<String>) {
    let read = ReadOptions::new().properties(["hs_pipeline", "hs_pipeline_stage"]);
    let lead = client.leads().get_with(lead, &read).await.unwrap();
    (
        lead.property("hs_pipeline").map(str::to_owned),
        lead.property("hs_pipeline_stage").map(str::to_owned),
    )
}

async fn new_lead(client: &Client, email: &str) -> String {
    let contact = create_contact(client, email).await;
    client
        .leads()
        .create(lead_input("Moving lead", &contact))
        .await
        .unwrap()
        .into_inner()
        .id
}

#[tokio::test]
async fn a_lead_moves_through_its_pipelines_stages_in_order_on_both_versions() {
    for &version in ApiVersion::ALL {
        let sandbox = sandbox(SandboxConfig::new()).await;
        let client = on(&sandbox, version);
        let leads = client.pipelines().of("leads").await.unwrap();
        let pipeline = leads.default_pipeline().expect("HubSpot provisions one");
        assert_eq!(pipeline.id, "lead-pipeline-id");
        let stages: Vec<String> = leads
            .stages(&pipeline.id)
            .iter()
            .map(|s| s.id.clone())
            .collect();
        assert_eq!(
            stages,
            [
                "new-stage-id",
                "attempting-stage-id",
                "connected-stage-id",
                "qualified-stage-id",
                "unqualified-stage-id"
            ]
        );
        let lead = new_lead(&client, &format!("mover-{version}@example.com")).await;
        assert_eq!(
            stage_of(&client, &lead).await,
            (Some(pipeline.id.clone()), Some(stages[0].clone())),
            "a new lead starts in the first stage"
        );
        for stage in &stages[1..] {
            let pipelines = client.pipelines().of("leads").await.unwrap();
            assert_eq!(pipelines.check_stage(Some(&pipeline.id), stage), Ok(()));
            client
                .leads()
                .update(RecordUpdate::new(&lead).property("hs_pipeline_stage", stage))
                .await
                .unwrap();
            assert_eq!(
                stage_of(&client, &lead).await.1.as_deref(),
                Some(stage.as_str())
            );
        }
        assert_eq!(
            requests_to(&sandbox, "GET", &pipelines_path(version, "leads")),
            1,
            "{version}: one read for every use"
        );
        sandbox.shutdown().await;
    }
}

/// A stage input labeled `label`, its id chosen when given.
fn stage(label: &str, order: i32, id: Option<&str>) -> PipelineStageInput {
    PipelineStageInput {
        display_order: order,
        label: label.into(),
        metadata: Default::default(),
        stage_id: id.map(str::to_owned),
    }
}

/// A second lead pipeline, `Partners`, whose one stage is `partner-open`.
async fn partners(client: &Client) -> Pipeline {
    let input = PipelineInput {
        display_order: 1,
        label: "Partners".into(),
        pipeline_id: None,
        stages: vec![stage("Open", 0, Some("partner-open"))],
    };
    client.pipelines().create("leads", input).await.unwrap()
}

/// The HubSpot error of a write the sandbox refused, with its first detail's code.
fn refused(result: hubspot_crm::Result<Record>, version: ApiVersion, code: &str) -> ApiError {
    match result {
        Err(Error::Api(e)) => {
            assert_eq!((e.status, e.errors[0].code.as_deref()), (400, Some(code)));
            *e
        }
        other => panic!("{version}: expected HubSpot's refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_created_stage_is_usable_at_once_and_another_pipelines_stage_is_refused() {
    for &version in ApiVersion::ALL {
        let sandbox = sandbox(SandboxConfig::new()).await;
        let client = on(&sandbox, version);
        let lead = new_lead(&client, &format!("stages-{version}@example.com")).await;
        client.pipelines().of("leads").await.unwrap();
        let nurturing = client
            .pipelines()
            .create_stage("leads", "lead-pipeline-id", stage("Nurturing", 5, None))
            .await
            .unwrap();
        // The write dropped the cached pipelines: the next use sees the stage.
        let leads = client.pipelines().of("leads").await.unwrap();
        assert_eq!(
            leads.stages("lead-pipeline-id").last().unwrap().id,
            nurturing.id
        );
        let to = |stage: &str| RecordUpdate::new(&lead).property("hs_pipeline_stage", stage);
        client.leads().update(to(&nurturing.id)).await.unwrap();
        assert_eq!(stage_of(&client, &lead).await.1, Some(nurturing.id.clone()));

        let partners = partners(&client).await;
        let leads = client.pipelines().of("leads").await.unwrap();
        let verdict = leads.check_stage(Some("lead-pipeline-id"), "partner-open");
        let why = verdict.unwrap_err();
        assert!(
            why.contains(&format!("a stage of pipeline `{}`", partners.id)),
            "{why}"
        );
        let error = refused(
            client.leads().update(to("partner-open")).await,
            version,
            "INVALID_OPTION",
        );
        assert_eq!(error.invalid_properties(), ["hs_pipeline_stage"]);
        // Moved with its pipeline, the stage is the lead's own.
        assert_eq!(
            leads.check_stage(Some(&partners.id), "partner-open"),
            Ok(())
        );
        let both = to("partner-open").property("hs_pipeline", &partners.id);
        client.leads().update(both).await.unwrap();
        assert_eq!(
            stage_of(&client, &lead).await,
            (Some(partners.id.clone()), Some("partner-open".into()))
        );
        sandbox.shutdown().await;
    }
}

#[tokio::test]
async fn owners_are_listed_across_pages_and_one_is_assigned_on_both_versions() {
    // 600 owners besides the three seeded: two pages of 500.
    let config = (1..=600).fold(SandboxConfig::new(), |config, i| {
        config.owner(Owner::person(
            format!("{}", 70_000_000 + i),
            format!("rep{i}@example.com"),
        ))
    });
    let sandbox = sandbox(config).await;
    for &version in ApiVersion::ALL {
        let client = on(&sandbox, version);
        let owners = client.owners().list().await.unwrap();
        assert_eq!(owners.len(), 603);
        assert_eq!(owners[0].id, "52550153");
        assert_eq!(owners[602].id, "70000600");
        assert_eq!(
            requests_to(&sandbox, "GET", owners_path(version)),
            2,
            "{version}"
        );

        let all = client.owners().all().await.unwrap();
        let alan = all
            .by_email("alan.turing@example.com")
            .expect("a seeded owner");
        let lead = new_lead(&client, &format!("owned-{version}@example.com")).await;
        client
            .leads()
            .update(RecordUpdate::new(&lead).property("hubspot_owner_id", &alan.id))
            .await
            .unwrap();
        let read = ReadOptions::new().properties(["hubspot_owner_id"]);
        let back = client.leads().get_with(&lead, &read).await.unwrap();
        assert_eq!(back.property("hubspot_owner_id"), Some(alan.id.as_str()));
        assert!(!all.contains("99999"));
        let unknown = RecordUpdate::new(&lead).property("hubspot_owner_id", "99999");
        let error = refused(
            client.leads().update(unknown).await,
            version,
            "INVALID_OWNER_ID",
        );
        assert_eq!(
            error.errors[0].message.as_deref(),
            Some("99999 is not a valid owner id")
        );
        assert_eq!(
            requests_to(&sandbox, "GET", owners_path(version)),
            4,
            "{version}: `all` read every page once"
        );
        client.owners().all().await.unwrap();
        assert_eq!(requests_to(&sandbox, "GET", owners_path(version)), 4);
    }
    sandbox.shutdown().await;
}
