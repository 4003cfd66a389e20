//! Pipelines and stages as HubSpot answers them, and an object type's pipelines as the client
//! keeps them to check stage values.

use std::cmp::Ordering;

use hubspot_crm_api::pipelines::types::{Pipeline as V3Pipeline, PipelineStage as V3Stage};
use hubspot_crm_api::pipelines_2026_09::types::{
    Pipeline as DatedPipeline, PipelineStage as DatedStage,
};

/// HubSpot's order of pipelines and of stages: by `displayOrder`, ties by label (pipelines
/// spec: "If two pipelines have a matching `displayOrder`, they will be sorted alphabetically
/// by label"), then by id so that the order never depends on the answer's.
fn display_order(a: (i32, Option<&str>, &str), b: (i32, Option<&str>, &str)) -> Ordering {
    a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(b.2))
}

/// A stage of a pipeline: the generated `PipelineStage` of the v3 pipelines API (fields
/// through `Deref`; a 2026-09 stage is read into it, its `writePermissions` always set).
#[derive(Clone, Debug)]
pub struct PipelineStage(V3Stage);

impl PipelineStage {
    /// Whether the stage is in use: not archived.
    pub fn is_live(&self) -> bool {
        !self.0.archived
    }

    /// The generated stage.
    pub fn into_inner(self) -> V3Stage {
        self.0
    }

    fn order_key(&self) -> (i32, Option<&str>, &str) {
        (self.0.display_order, self.0.label.as_deref(), &self.0.id)
    }
}

impl From<V3Stage> for PipelineStage {
    fn from(stage: V3Stage) -> Self {
        PipelineStage(stage)
    }
}

impl From<DatedStage> for PipelineStage {
    fn from(s: DatedStage) -> Self {
        PipelineStage(V3Stage {
            archived: s.archived,
            archived_at: s.archived_at,
            created_at: s.created_at,
            display_order: s.display_order,
            id: s.id,
            label: s.label,
            metadata: s.metadata,
            updated_at: s.updated_at,
            write_permissions: Some(s.write_permissions),
        })
    }
}

crate::model::deref_to!(PipelineStage => V3Stage, 0);

/// A pipeline of an object type: the generated `Pipeline` of the v3 pipelines API (fields
/// through `Deref`, `stages` as HubSpot listed them), with its stages in display order.
#[derive(Clone, Debug)]
pub struct Pipeline {
    pipeline: V3Pipeline,
    /// Every stage, archived ones included, by `displayOrder` then label.
    ordered: Vec<PipelineStage>,
}

impl Pipeline {
    /// Whether the pipeline is in use: not archived.
    pub fn is_live(&self) -> bool {
        !self.pipeline.archived
    }

    /// Every stage, archived ones included, in display order (`displayOrder`, then label).
    pub fn ordered_stages(&self) -> &[PipelineStage] {
        &self.ordered
    }

    /// The stages records can be in (not archived), in display order: the way a record
    /// moves through the pipeline.
    pub fn live_stages(&self) -> impl Iterator<Item = &PipelineStage> {
        self.ordered.iter().filter(|s| s.is_live())
    }

    /// The stage `stage_id`, archived or not.
    pub fn stage(&self, stage_id: &str) -> Option<&PipelineStage> {
        self.ordered.iter().find(|s| s.id == stage_id)
    }

    /// The generated pipeline.
    pub fn into_inner(self) -> V3Pipeline {
        self.pipeline
    }

    fn order_key(&self) -> (i32, Option<&str>, &str) {
        (
            self.pipeline.display_order,
            self.pipeline.label.as_deref(),
            &self.pipeline.id,
        )
    }

    /// `` `id` `` or `` `id` (label) ``, for messages.
    fn describe(&self) -> String {
        match self.pipeline.label.as_deref().filter(|l| !l.is_empty()) {
            Some(label) => format!("`{}` ({label})", self.pipeline.id),
            None => format!("`{}`", self.pipeline.id),
        }
    }
}

impl From<V3Pipeline> for Pipeline {
    fn from(pipeline: V3Pipeline) -> Self {
        let mut ordered: Vec<PipelineStage> = pipeline
            .stages
            .iter()
            .cloned()
            .map(PipelineStage::from)
            .collect();
        ordered.sort_by(|a, b| display_order(a.order_key(), b.order_key()));
        Pipeline { pipeline, ordered }
    }
}

impl From<DatedPipeline> for Pipeline {
    fn from(p: DatedPipeline) -> Self {
        Pipeline::from(V3Pipeline {
            archived: p.archived,
            archived_at: p.archived_at,
            created_at: p.created_at,
            display_order: p.display_order,
            id: p.id,
            label: p.label,
            stages: p
                .stages
                .into_iter()
                .map(|s| PipelineStage::from(s).into_inner())
                .collect(),
            updated_at: p.updated_at,
        })
    }
}

crate::model::deref_to!(Pipeline => V3Pipeline, pipeline);

/// The pipelines of one object type in the account, in display order, as
/// [`Pipelines::of`](crate::Pipelines::of) caches them: what a stage or pipeline value to
/// write is checked against.
#[derive(Clone, Debug)]
pub struct AccountPipelines {
    object_type: String,
    pipelines: Vec<Pipeline>,
}

impl AccountPipelines {
    /// The pipelines of `object_type`, e.g. from [`Pipelines::list`](crate::Pipelines::list).
    pub fn new(
        object_type: impl Into<String>,
        pipelines: impl IntoIterator<Item = Pipeline>,
    ) -> Self {
        let mut pipelines: Vec<Pipeline> = pipelines.into_iter().collect();
        pipelines.sort_by(|a, b| display_order(a.order_key(), b.order_key()));
        AccountPipelines {
            object_type: object_type.into(),
            pipelines,
        }
    }

    /// The object type they belong to.
    pub fn object_type(&self) -> &str {
        &self.object_type
    }

    /// The pipeline `pipeline_id`, archived or not.
    pub fn get(&self, pipeline_id: &str) -> Option<&Pipeline> {
        self.pipelines.iter().find(|p| p.id == pipeline_id)
    }

    /// Every pipeline, archived ones included, in display order.
    pub fn iter(&self) -> impl Iterator<Item = &Pipeline> {
        self.pipelines.iter()
    }

    /// How many pipelines there are.
    pub fn len(&self) -> usize {
        self.pipelines.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.pipelines.is_empty()
    }

    /// The pipeline a record goes to when a write names none: the first live one in display
    /// order.
    pub fn default_pipeline(&self) -> Option<&Pipeline> {
        self.live().next()
    }

    /// The live stages of the live pipeline `pipeline_id`, in display order: the stages a
    /// record moves through. Empty when there is no such live pipeline.
    pub fn stages(&self, pipeline_id: &str) -> Vec<&PipelineStage> {
        self.get(pipeline_id)
            .filter(|p| p.is_live())
            .map(|p| p.live_stages().collect())
            .unwrap_or_default()
    }

    fn live(&self) -> impl Iterator<Item = &Pipeline> {
        self.pipelines.iter().filter(|p| p.is_live())
    }

    /// Ok when `pipeline_id` is a live pipeline of the object type; otherwise why not, for a
    /// [`ValidationError`](crate::ValidationError)'s reason.
    pub fn check_pipeline(&self, pipeline_id: &str) -> std::result::Result<(), String> {
        self.live_pipeline(pipeline_id).map(|_| ())
    }

    fn live_pipeline(&self, pipeline_id: &str) -> std::result::Result<&Pipeline, String> {
        match self.get(pipeline_id) {
            Some(p) if p.is_live() => Ok(p),
            Some(p) => Err(format!(
                "pipeline {} of {} is archived",
                p.describe(),
                self.object_type
            )),
            None => Err(format!(
                "`{pipeline_id}` is not a pipeline of {}; its pipelines: {}",
                self.object_type,
                self.list_pipelines()
            )),
        }
    }

    /// Ok when `stage_id` is a live stage of the live pipeline `pipeline_id`, or, with no
    /// pipeline, of any live pipeline; otherwise why not (naming the pipeline a stage of
    /// another one belongs to), for a [`ValidationError`](crate::ValidationError)'s reason.
    /// A blank `stage_id` is no stage.
    pub fn check_stage(
        &self,
        pipeline_id: Option<&str>,
        stage_id: &str,
    ) -> std::result::Result<(), String> {
        if stage_id.trim().is_empty() {
            return Err("a blank value is not a stage".to_owned());
        }
        let Some(pipeline_id) = pipeline_id else {
            return self.check_stage_anywhere(stage_id);
        };
        let pipeline = self.live_pipeline(pipeline_id)?;
        match pipeline.stage(stage_id) {
            Some(stage) if stage.is_live() => Ok(()),
            Some(_) => Err(format!(
                "stage `{stage_id}` of pipeline {} is archived",
                pipeline.describe()
            )),
            None => Err(format!(
                "`{stage_id}` is not a stage of pipeline {}{}; its stages: {}",
                pipeline.describe(),
                self.elsewhere(stage_id),
                list_stages(pipeline)
            )),
        }
    }

    /// A stage of no pipeline in particular: live in some live pipeline.
    fn check_stage_anywhere(&self, stage_id: &str) -> std::result::Result<(), String> {
        let holders: Vec<&Pipeline> = self
            .pipelines
            .iter()
            .filter(|p| p.stage(stage_id).is_some())
            .collect();
        if holders
            .iter()
            .any(|p| p.is_live() && p.stage(stage_id).is_some_and(|s| s.is_live()))
        {
            return Ok(());
        }
        match holders.first() {
            Some(p) => Err(format!(
                "stage `{stage_id}` of pipeline {} is archived",
                p.describe()
            )),
            None => Err(format!(
                "`{stage_id}` is not a stage of any pipeline of {}",
                self.object_type
            )),
        }
    }

    /// ` (it is a stage of pipeline `x`)` when another live pipeline has the stage.
    fn elsewhere(&self, stage_id: &str) -> String {
        self.live()
            .find(|p| p.stage(stage_id).is_some_and(|s| s.is_live()))
            .map(|p| format!(" (it is a stage of pipeline {})", p.describe()))
            .unwrap_or_default()
    }

    fn list_pipelines(&self) -> String {
        let ids: Vec<String> = self.live().map(|p| format!("`{}`", p.id)).collect();
        if ids.is_empty() {
            "none".to_owned()
        } else {
            ids.join(", ")
        }
    }
}

fn list_stages(pipeline: &Pipeline) -> String {
    let ids: Vec<String> = pipeline
        .live_stages()
        .map(|s| format!("`{}`", s.id))
        .collect();
    if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.join(", ")
    }
}
