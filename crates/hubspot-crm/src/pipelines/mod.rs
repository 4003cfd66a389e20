//! Pipelines and their stages (`/crm/v3/pipelines/{objectType}`, or
//! `/crm/pipelines/2026-09/{objectType}`), cached per client: what the values of
//! `hs_pipeline`/`hs_pipeline_stage` (leads, tickets, custom objects) and
//! `pipeline`/`dealstage` (deals) must be.
//!
//! Pipelines and stages differ per account: they are read from HubSpot, never assumed.

mod input;
mod model;

use std::sync::Arc;

use hubspot_crm_api::shared::{
    PipelineInput, PipelinePatchInput, PipelineReplaceInput, PipelineStageInput,
    PipelineStagePatchInput, PipelineStageReplaceInput,
};

pub use model::{AccountPipelines, Pipeline, PipelineStage};

use crate::associations::object_type_key;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::route::{family, on_version};
use crate::validate::{check_object_type, path_segment};

impl Client {
    /// Pipelines and their stages, of any object type.
    pub fn pipelines(&self) -> Pipelines {
        Pipelines::new(self.clone())
    }
}

/// HubSpot's pipelines API: the pipelines of an object type (leads, deals, tickets, custom
/// objects) and their stages. Get one with [`Client::pipelines`].
///
/// [`Pipelines::of`] keeps each type's pipelines per client (clones share them) for 10
/// minutes; every write through this handle drops that type's copy, so the next use reads
/// them again.
///
/// ```no_run
/// # async fn run() -> hubspot_crm::Result<()> {
/// let client = hubspot_crm::Client::from_env()?;
/// let leads = client.pipelines().of("leads").await?;
/// if let Some(pipeline) = leads.default_pipeline() {
///     for stage in pipeline.live_stages() {
///         println!("{}: {:?}", stage.id, stage.label);
///     }
/// }
/// if let Err(why) = leads.check_stage(Some("lead-pipeline-id"), "connected-stage-id") {
///     eprintln!("not a stage to write: {why}");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Pipelines {
    client: Client,
}

/// Checks a type and a pipeline id for the path.
fn check_path(object_type: &str, pipeline_id: &str) -> Result<()> {
    check_object_type("objectType", object_type)?;
    path_segment("pipelineId", pipeline_id)?;
    Ok(())
}

/// Checks a type, a pipeline id and a stage id for the path.
fn check_stage_path(object_type: &str, pipeline_id: &str, stage_id: &str) -> Result<()> {
    check_path(object_type, pipeline_id)?;
    path_segment("stageId", stage_id)?;
    Ok(())
}

impl Pipelines {
    /// The pipelines API through `client`.
    pub fn new(client: Client) -> Self {
        Pipelines { client }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads every pipeline of an object type, with its stages (`GET
    /// /crm/v3/pipelines/{objectType}`, or its 2026-09 path), and caches them for
    /// [`Self::of`].
    pub async fn list(&self, object_type: &str) -> Result<Vec<Pipeline>> {
        check_object_type("objectType", object_type)?;
        let list = self.fetch(object_type).await?;
        self.store(object_type, list.clone());
        Ok(list)
    }

    /// Reads one pipeline (`GET /crm/v3/pipelines/{objectType}/{pipelineId}`, or its 2026-09
    /// path). An unknown pipeline is an [`Error::Api`] with status 404.
    pub async fn get(&self, object_type: &str, pipeline_id: &str) -> Result<Pipeline> {
        check_path(object_type, pipeline_id)?;
        let (call, api) = self.client.start::<family::Pipelines>().await?;
        on_version!(api, |api| {
            let result = api
                .get()
                .object_type(object_type)
                .pipeline_id(pipeline_id)
                .send()
                .await;
            call.finish(result, Vec::new).map(Pipeline::from)
        })
    }

    /// The pipelines of an object type, read from HubSpot once per client (clones share
    /// them) and read again once they are 10 minutes old; a failed read is not kept. Writes
    /// through this handle drop the copy; call [`Self::refresh`] after changes made
    /// elsewhere.
    pub async fn of(&self, object_type: &str) -> Result<Arc<AccountPipelines>> {
        check_object_type("objectType", object_type)?;
        self.client
            .caches()
            .pipelines
            .get_or_try_fetch(object_type_key(object_type), || async {
                let list = self.fetch(object_type).await?;
                Ok::<_, Error>(Arc::new(AccountPipelines::new(object_type, list)))
            })
            .await
    }

    /// Reads an object type's pipelines from HubSpot again and caches them.
    pub async fn refresh(&self, object_type: &str) -> Result<Arc<AccountPipelines>> {
        check_object_type("objectType", object_type)?;
        let list = self.fetch(object_type).await?;
        // Other spellings of the type would keep the old copy.
        self.client.caches().pipelines.clear();
        Ok(self.store(object_type, list))
    }

    fn store(&self, object_type: &str, list: Vec<Pipeline>) -> Arc<AccountPipelines> {
        let pipelines = Arc::new(AccountPipelines::new(object_type, list));
        self.client
            .caches()
            .pipelines
            .store(object_type_key(object_type), pipelines.clone());
        pipelines
    }

    /// Drops the cached pipelines after a write, whatever its outcome (an error may come
    /// after HubSpot made the change): every type's, since one type may be cached under
    /// several spellings, and the property definitions too, whose pipeline and stage
    /// properties list the pipelines and stages as options.
    fn written<T>(&self, object_type: &str, outcome: Result<T>) -> Result<T> {
        let _ = object_type;
        let caches = self.client.caches();
        caches.pipelines.clear();
        caches.definitions.clear();
        outcome
    }

    async fn fetch(&self, object_type: &str) -> Result<Vec<Pipeline>> {
        let (call, api) = self.client.start::<family::Pipelines>().await?;
        on_version!(api, |api| {
            let result = api.list().object_type(object_type).send().await;
            let list = call.finish(result, Vec::new)?;
            Ok(list.results.into_iter().map(Pipeline::from).collect())
        })
    }

    /// Creates a pipeline with its stages (`POST /crm/v3/pipelines/{objectType}`, or its
    /// 2026-09 path). Checked first: labels not blank, stage labels distinct, a deal stage's
    /// `metadata.probability` 0.0 to 1.0 in steps of 0.1, a ticket stage's `ticketState`
    /// `OPEN` or `CLOSED`, chosen ids one path segment.
    pub async fn create(&self, object_type: &str, pipeline: PipelineInput) -> Result<Pipeline> {
        check_object_type("objectType", object_type)?;
        input::new_pipeline(object_type, &pipeline)?;
        let label = format!("pipeline `{}`", pipeline.label);
        let (call, api) = self.client.start::<family::Pipelines>().await?;
        let outcome = on_version!(api, |api| {
            let result = api
                .create()
                .object_type(object_type)
                .body(pipeline)
                .send()
                .await;
            call.finish(result, || vec![label]).map(Pipeline::from)
        });
        self.written(object_type, outcome)
    }

    /// Changes a pipeline's label or display order, or restores it (`archived: Some(false)`)
    /// (`PATCH /crm/v3/pipelines/{objectType}/{pipelineId}`, or its 2026-09 path).
    pub async fn update(
        &self,
        object_type: &str,
        pipeline_id: &str,
        patch: PipelinePatchInput,
    ) -> Result<Pipeline> {
        check_path(object_type, pipeline_id)?;
        input::patch(&patch)?;
        let (call, api) = self.client.start::<family::Pipelines>().await?;
        let outcome = on_version!(api, |api| {
            let result = api
                .update()
                .object_type(object_type)
                .pipeline_id(pipeline_id)
                .body(patch)
                .send()
                .await;
            call.finish(result, Vec::new).map(Pipeline::from)
        });
        self.written(object_type, outcome)
    }

    /// Replaces a pipeline, its stages included (`PUT
    /// /crm/v3/pipelines/{objectType}/{pipelineId}`, or its 2026-09 path); checked as
    /// [`Self::create`] checks.
    pub async fn replace(
        &self,
        object_type: &str,
        pipeline_id: &str,
        pipeline: PipelineReplaceInput,
    ) -> Result<Pipeline> {
        check_path(object_type, pipeline_id)?;
        input::replacement(object_type, &pipeline)?;
        let (call, api) = self.client.start::<family::Pipelines>().await?;
        let outcome = on_version!(api, |api| {
            let result = api
                .replace()
                .object_type(object_type)
                .pipeline_id(pipeline_id)
                .body(pipeline)
                .send()
                .await;
            call.finish(result, Vec::new).map(Pipeline::from)
        });
        self.written(object_type, outcome)
    }

    /// Archives a pipeline (`DELETE /crm/v3/pipelines/{objectType}/{pipelineId}`, or its
    /// 2026-09 path).
    pub async fn archive(&self, object_type: &str, pipeline_id: &str) -> Result<()> {
        check_path(object_type, pipeline_id)?;
        let (call, api) = self.client.start::<family::Pipelines>().await?;
        let outcome = on_version!(api, |api| {
            let result = api
                .archive()
                .object_type(object_type)
                .pipeline_id(pipeline_id)
                .send()
                .await;
            call.finish(result, Vec::new)
        });
        self.written(object_type, outcome)
    }

    /// Reads the stages of a pipeline, in display order (`GET
    /// /crm/v3/pipelines/{objectType}/{pipelineId}/stages`, or its 2026-09 path).
    pub async fn list_stages(
        &self,
        object_type: &str,
        pipeline_id: &str,
    ) -> Result<Vec<PipelineStage>> {
        check_path(object_type, pipeline_id)?;
        let (call, api) = self.client.start::<family::Pipelines>().await?;
        let mut stages: Vec<PipelineStage> = on_version!(api, |api| {
            let result = api
                .list_stages()
                .object_type(object_type)
                .pipeline_id(pipeline_id)
                .send()
                .await;
            let list = call.finish(result, Vec::new)?;
            list.results.into_iter().map(PipelineStage::from).collect()
        });
        stages.sort_by(|a, b| {
            (a.display_order, &a.label, &a.id).cmp(&(b.display_order, &b.label, &b.id))
        });
        Ok(stages)
    }

    /// Reads one stage (`GET /crm/v3/pipelines/{objectType}/{pipelineId}/stages/{stageId}`,
    /// or its 2026-09 path).
    pub async fn get_stage(
        &self,
        object_type: &str,
        pipeline_id: &str,
        stage_id: &str,
    ) -> Result<PipelineStage> {
        check_stage_path(object_type, pipeline_id, stage_id)?;
        let (call, api) = self.client.start::<family::Pipelines>().await?;
        on_version!(api, |api| {
            let result = api
                .get_stage()
                .object_type(object_type)
                .pipeline_id(pipeline_id)
                .stage_id(stage_id)
                .send()
                .await;
            call.finish(result, Vec::new).map(PipelineStage::from)
        })
    }

    /// Adds a stage to a pipeline (`POST /crm/v3/pipelines/{objectType}/{pipelineId}/stages`,
    /// or its 2026-09 path); checked as [`Self::create`] checks a stage.
    pub async fn create_stage(
        &self,
        object_type: &str,
        pipeline_id: &str,
        stage: PipelineStageInput,
    ) -> Result<PipelineStage> {
        check_path(object_type, pipeline_id)?;
        input::new_stage(object_type, &stage)?;
        let label = format!("stage `{}`", stage.label);
        let (call, api) = self.client.start::<family::Pipelines>().await?;
        let outcome = on_version!(api, |api| {
            let result = api
                .create_stage()
                .object_type(object_type)
                .pipeline_id(pipeline_id)
                .body(stage)
                .send()
                .await;
            call.finish(result, || vec![label]).map(PipelineStage::from)
        });
        self.written(object_type, outcome)
    }

    /// Changes a stage's label, display order or metadata, or restores it (`archived:
    /// Some(false)`) (`PATCH .../stages/{stageId}`).
    pub async fn update_stage(
        &self,
        object_type: &str,
        pipeline_id: &str,
        stage_id: &str,
        patch: PipelineStagePatchInput,
    ) -> Result<PipelineStage> {
        check_stage_path(object_type, pipeline_id, stage_id)?;
        input::stage_patch(object_type, &patch)?;
        let (call, api) = self.client.start::<family::Pipelines>().await?;
        let outcome = on_version!(api, |api| {
            let result = api
                .update_stage()
                .object_type(object_type)
                .pipeline_id(pipeline_id)
                .stage_id(stage_id)
                .body(patch)
                .send()
                .await;
            call.finish(result, Vec::new).map(PipelineStage::from)
        });
        self.written(object_type, outcome)
    }

    /// Replaces a stage (`PUT .../stages/{stageId}`); checked as [`Self::create_stage`]
    /// checks.
    pub async fn replace_stage(
        &self,
        object_type: &str,
        pipeline_id: &str,
        stage_id: &str,
        stage: PipelineStageReplaceInput,
    ) -> Result<PipelineStage> {
        check_stage_path(object_type, pipeline_id, stage_id)?;
        input::stage_replacement(object_type, &stage)?;
        let (call, api) = self.client.start::<family::Pipelines>().await?;
        let outcome = on_version!(api, |api| {
            let result = api
                .replace_stage()
                .object_type(object_type)
                .pipeline_id(pipeline_id)
                .stage_id(stage_id)
                .body(stage)
                .send()
                .await;
            call.finish(result, Vec::new).map(PipelineStage::from)
        });
        self.written(object_type, outcome)
    }

    /// Archives a stage (`DELETE .../stages/{stageId}`).
    pub async fn archive_stage(
        &self,
        object_type: &str,
        pipeline_id: &str,
        stage_id: &str,
    ) -> Result<()> {
        check_stage_path(object_type, pipeline_id, stage_id)?;
        let (call, api) = self.client.start::<family::Pipelines>().await?;
        let outcome = on_version!(api, |api| {
            let result = api
                .archive_stage()
                .object_type(object_type)
                .pipeline_id(pipeline_id)
                .stage_id(stage_id)
                .send()
                .await;
            call.finish(result, Vec::new)
        });
        self.written(object_type, outcome)
    }
}
