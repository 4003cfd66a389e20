//! The account's pipelines and their stages, per object type: what the pipelines API serves
//! and what records' pipeline and stage values must be.
//!
//! HubSpot provisions a lead pipeline, the deals `default` pipeline and the tickets `0`
//! pipeline in every account (their stages are those the property definitions of `schema`
//! list); other types have pipelines once the API creates some. Behaviours follow the
//! pipelines spec (v3 and 2026-09 alike) and HubSpot's pipelines guide, which the spec's
//! field descriptions repeat; where neither says what HubSpot answers, the answer is the
//! sandbox's pick and says so.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::schema;
use crate::store::fmt_time;

/// First id handed to a pipeline or stage the API creates without choosing one (HubSpot's
/// are numeric strings).
const FIRST_CREATED_ID: u64 = 75_000_001;

/// A stage of a pipeline.
#[derive(Debug, Clone)]
pub(crate) struct Stage {
    pub id: String,
    pub label: String,
    pub display_order: i32,
    pub metadata: BTreeMap<String, String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    archived_at: Option<DateTime<Utc>>,
}

impl Stage {
    pub fn is_live(&self) -> bool {
        self.archived_at.is_none()
    }

    /// The stage in the spec's `PipelineStage` shape. `writePermissions` is required by the
    /// 2026-09 spec and optional in v3: both get it.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "label": self.label,
            "displayOrder": self.display_order,
            "metadata": self.metadata,
            "createdAt": fmt_time(self.created_at),
            "updatedAt": fmt_time(self.updated_at),
            "archived": !self.is_live(),
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
        });
        if let Some(at) = self.archived_at {
            v["archivedAt"] = json!(fmt_time(at));
        }
        v
    }
}

/// A pipeline of one object type.
#[derive(Debug, Clone)]
pub(crate) struct Pipeline {
    pub id: String,
    pub label: String,
    pub display_order: i32,
    /// Every stage, archived ones kept (a `PATCH` with `archived: false` restores one).
    stages: Vec<Stage>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    archived_at: Option<DateTime<Utc>>,
}

/// The spec's order of pipelines and of stages: `displayOrder`, ties by label.
fn by_display_order<'a, T>(
    items: impl Iterator<Item = &'a T>,
    key: fn(&T) -> (i32, &str),
) -> Vec<&'a T>
where
    T: 'a,
{
    let mut items: Vec<&T> = items.collect();
    items.sort_by(|a, b| key(a).cmp(&key(b)));
    items
}

impl Pipeline {
    pub fn is_live(&self) -> bool {
        self.archived_at.is_none()
    }

    /// The live stages, in display order.
    pub fn live_stages(&self) -> Vec<&Stage> {
        by_display_order(self.stages.iter().filter(|s| s.is_live()), |s| {
            (s.display_order, s.label.as_str())
        })
    }

    /// The live stage `id`.
    pub fn live_stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id && s.is_live())
    }

    /// The pipeline in the spec's `Pipeline` shape, with its live stages in display order.
    pub fn to_json(&self) -> Value {
        let stages: Vec<Value> = self.live_stages().iter().map(|s| s.to_json()).collect();
        let mut v = json!({
            "id": self.id,
            "label": self.label,
            "displayOrder": self.display_order,
            "stages": stages,
            "createdAt": fmt_time(self.created_at),
            "updatedAt": fmt_time(self.updated_at),
            "archived": !self.is_live(),
        });
        if let Some(at) = self.archived_at {
            v["archivedAt"] = json!(fmt_time(at));
        }
        v
    }
}

/// The names of the pipeline and stage properties of a type: deals have `pipeline` and
/// `dealstage`, every other type `hs_pipeline` and `hs_pipeline_stage`.
pub(crate) fn property_names(otype: &str) -> (&'static str, &'static str) {
    if otype == "deals" {
        ("pipeline", "dealstage")
    } else {
        ("hs_pipeline", "hs_pipeline_stage")
    }
}

/// What the type asks of a stage's metadata (spec, `PipelineStageInput.metadata`): a deal
/// stage's `probability` is required, 0.0 to 1.0 in steps of 0.1; a ticket stage's
/// `ticketState`, if given, is `OPEN` or `CLOSED`.
fn check_metadata(otype: &str, metadata: &BTreeMap<String, String>) -> ApiResult<()> {
    match otype {
        "deals" => {
            let Some(p) = metadata.get("probability") else {
                return Err(ApiError::validation(
                    "Invalid input JSON: metadata.probability is required for a deal stage",
                ));
            };
            let tenths = p.trim().parse::<f64>().ok().map(|p| p * 10.0);
            let ok =
                tenths.is_some_and(|t| (0.0..=10.0).contains(&t) && (t - t.round()).abs() < 1e-9);
            if !ok {
                return Err(ApiError::validation(format!(
                    "Invalid input JSON: metadata.probability {p} is not between 0.0 and 1.0 in increments of 0.1"
                )));
            }
            Ok(())
        }
        "tickets" => match metadata.get("ticketState").map(String::as_str) {
            None | Some("OPEN" | "CLOSED") => Ok(()),
            Some(other) => Err(ApiError::validation(format!(
                "Invalid input JSON: metadata.ticketState {other} is not OPEN or CLOSED"
            ))),
        },
        _ => Ok(()),
    }
}

/// A label: not blank (sandbox pick: the spec makes it required; HubSpot's answer to a blank
/// one is not documented).
fn check_label(what: &str, label: &str) -> ApiResult<()> {
    if label.trim().is_empty() {
        return Err(ApiError::validation(format!(
            "Invalid input JSON: the {what} label must not be blank"
        )));
    }
    Ok(())
}

/// A stage to create or replace, as the spec's `PipelineStageInput` (whose `stageId` the
/// replacement input lacks). `metadata` is optional but for deals (the pipelines guide).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StageIn {
    display_order: i32,
    label: String,
    #[serde(default)]
    metadata: BTreeMap<String, Value>,
    #[serde(default)]
    stage_id: Option<String>,
}

/// A pipeline to create (`PipelineInput`) or replace (`PipelineReplaceInput`, no id).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PipelineIn {
    display_order: i32,
    label: String,
    #[serde(default)]
    pipeline_id: Option<String>,
    stages: Vec<StageIn>,
}

/// A partial update of a pipeline or stage (`PipelinePatchInput`, `PipelineStagePatchInput`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PatchIn {
    #[serde(default)]
    archived: Option<bool>,
    #[serde(default)]
    display_order: Option<i32>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    metadata: Option<BTreeMap<String, Value>>,
}

/// Parses a body into one of the inputs, with HubSpot's wording for malformed JSON.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(body: Value) -> ApiResult<T> {
    serde_json::from_value(body)
        .map_err(|e| ApiError::validation(format!("Invalid input JSON: {e}")))
}

/// Metadata values as stored: strings (the spec's type), numbers and booleans as their text
/// (HubSpot's guide writes `{"probability": 0.5}`).
fn metadata_strings(metadata: BTreeMap<String, Value>) -> ApiResult<BTreeMap<String, String>> {
    metadata
        .into_iter()
        .map(|(k, v)| match crate::api::scalar_string(&v) {
            Some(s) => Ok((k, s)),
            None => Err(ApiError::validation(format!(
                "Invalid input JSON: metadata.{k} must be a string"
            ))),
        })
        .collect()
}

/// HubSpot's 404 category for a pipeline that is not there (the wording is the sandbox's).
pub(crate) fn not_found_pipeline(otype: &str, id: &str) -> ApiError {
    ApiError::not_found(format!(
        "Unable to find pipeline {id} of object type {}",
        schema::type_id(otype)
    ))
}

/// The 404 for a stage that is not there.
pub(crate) fn not_found_stage(id: &str, pipeline: &str) -> ApiError {
    ApiError::not_found(format!("Unable to find stage {id} in pipeline {pipeline}"))
}

/// The options of an enumeration property: values and labels, in order.
type Options = Vec<(String, String)>;

/// Every object type's pipelines, and the ids handed to created ones.
#[derive(Debug)]
pub(crate) struct Pipelines {
    by_type: HashMap<String, Vec<Pipeline>>,
    next_id: u64,
}

/// A provisioned pipeline: created at the epoch ("The default pipelines will have createdAt
/// = 0", spec), its stages in the order given.
fn provisioned(
    (id, label): (&str, &str),
    stages: &[(&str, &str)],
    metadata: impl Fn(usize) -> BTreeMap<String, String>,
) -> Pipeline {
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    Pipeline {
        id: id.to_string(),
        label: label.to_string(),
        display_order: 0,
        stages: stages
            .iter()
            .enumerate()
            .map(|(i, (id, label))| Stage {
                id: id.to_string(),
                label: label.to_string(),
                display_order: i as i32,
                metadata: metadata(i),
                created_at: epoch,
                updated_at: epoch,
                archived_at: None,
            })
            .collect(),
        created_at: epoch,
        updated_at: epoch,
        archived_at: None,
    }
}

/// The probability and closed state of HubSpot's default deal stages, in `DEAL_STAGES` order.
const DEAL_PROBABILITIES: &[(&str, &str)] = &[
    ("0.2", "false"),
    ("0.4", "false"),
    ("0.6", "false"),
    ("0.8", "false"),
    ("0.9", "false"),
    ("1.0", "true"),
    ("0.0", "true"),
];

impl Default for Pipelines {
    /// The pipelines HubSpot provisions: leads, deals and tickets, one each.
    fn default() -> Self {
        let lead = provisioned(schema::LEAD_PIPELINES[0], schema::LEAD_STAGES, |_| {
            BTreeMap::new()
        });
        let deal = provisioned(schema::DEAL_PIPELINES[0], schema::DEAL_STAGES, |i| {
            let (probability, closed) = DEAL_PROBABILITIES
                .get(i)
                .copied()
                .unwrap_or(("0.5", "false"));
            BTreeMap::from([
                ("probability".to_string(), probability.to_string()),
                ("isClosed".to_string(), closed.to_string()),
            ])
        });
        let last_ticket_stage = schema::TICKET_STAGES.len() - 1;
        let ticket = provisioned(schema::TICKET_PIPELINES[0], schema::TICKET_STAGES, |i| {
            let state = if i == last_ticket_stage {
                "CLOSED"
            } else {
                "OPEN"
            };
            BTreeMap::from([("ticketState".to_string(), state.to_string())])
        });
        Pipelines {
            by_type: HashMap::from([
                ("leads".to_string(), vec![lead]),
                ("deals".to_string(), vec![deal]),
                ("tickets".to_string(), vec![ticket]),
            ]),
            next_id: FIRST_CREATED_ID,
        }
    }
}

impl Pipelines {
    /// Whether the type has pipelines at all (then its records' pipeline and stage values
    /// follow them).
    pub fn has_pipelines(&self, otype: &str) -> bool {
        self.by_type.contains_key(otype)
    }

    /// The live pipelines of a type, in display order.
    pub fn live(&self, otype: &str) -> Vec<&Pipeline> {
        let all = self.by_type.get(otype).into_iter().flatten();
        by_display_order(all.filter(|p| p.is_live()), |p| {
            (p.display_order, p.label.as_str())
        })
    }

    /// The live pipeline `id` of a type.
    pub fn live_pipeline(&self, otype: &str, id: &str) -> Option<&Pipeline> {
        self.by_type
            .get(otype)?
            .iter()
            .find(|p| p.id == id && p.is_live())
    }

    /// The pipeline a record of the type goes to when a write names none: the live one
    /// first in display order.
    pub fn default_pipeline(&self, otype: &str) -> Option<&Pipeline> {
        self.live(otype).into_iter().next()
    }

    fn fresh_id(&mut self) -> String {
        let id = self.next_id;
        self.next_id += 1;
        id.to_string()
    }

    fn type_mut(&mut self, otype: &str) -> &mut Vec<Pipeline> {
        self.by_type.entry(otype.to_string()).or_default()
    }

    /// The live pipeline `id`, to change.
    fn live_mut(&mut self, otype: &str, id: &str) -> ApiResult<&mut Pipeline> {
        self.by_type
            .get_mut(otype)
            .and_then(|list| list.iter_mut().find(|p| p.id == id && p.is_live()))
            .ok_or_else(|| not_found_pipeline(otype, id))
    }

    /// Whether a stage id is taken by a stage of any pipeline of the type: stage ids are
    /// the options of one property, so they are unique per type (a sandbox pick).
    fn stage_id_taken(&self, otype: &str, id: &str) -> bool {
        self.by_type
            .get(otype)
            .into_iter()
            .flatten()
            .any(|p| p.stages.iter().any(|s| s.id == id))
    }

    /// Refuses a label that a live pipeline of the type other than `except` has ("A unique
    /// label", spec).
    fn check_pipeline_label(
        &self,
        otype: &str,
        label: &str,
        except: Option<&str>,
    ) -> ApiResult<()> {
        let taken = self
            .live(otype)
            .iter()
            .any(|p| Some(p.id.as_str()) != except && p.label.trim() == label.trim());
        if taken {
            return Err(ApiError::validation(format!(
                "A pipeline labeled {} already exists for object type {}",
                label.trim(),
                schema::type_id(otype)
            )));
        }
        Ok(())
    }

    /// Builds a stage from its input, with a fresh id unless it chose one that is free.
    fn new_stage(&mut self, otype: &str, input: StageIn, now: DateTime<Utc>) -> ApiResult<Stage> {
        check_label("stage", &input.label)?;
        let metadata = metadata_strings(input.metadata)?;
        check_metadata(otype, &metadata)?;
        let id = match input.stage_id.filter(|s| !s.trim().is_empty()) {
            Some(id) if self.stage_id_taken(otype, &id) => {
                return Err(ApiError::conflict(format!(
                    "A stage with id {id} already exists for object type {}",
                    schema::type_id(otype)
                )));
            }
            Some(id) => id,
            None => self.fresh_id(),
        };
        Ok(Stage {
            id,
            label: input.label,
            display_order: input.display_order,
            metadata,
            created_at: now,
            updated_at: now,
            archived_at: None,
        })
    }

    /// Each label once among `stages` ("Each pipeline stage's label must be unique within
    /// that pipeline", spec).
    fn check_stage_labels<'a>(labels: impl Iterator<Item = &'a str>) -> ApiResult<()> {
        let mut seen = std::collections::HashSet::new();
        for label in labels {
            if !seen.insert(label.trim()) {
                return Err(ApiError::validation(format!(
                    "Invalid input JSON: the stage label {} is used twice in the pipeline",
                    label.trim()
                )));
            }
        }
        Ok(())
    }

    /// Creates a pipeline with its stages (`POST`); a chosen `pipelineId` that is taken is
    /// a 409 (sandbox pick).
    pub fn create(
        &mut self,
        otype: &str,
        input: PipelineIn,
        now: DateTime<Utc>,
    ) -> ApiResult<&Pipeline> {
        check_label("pipeline", &input.label)?;
        self.check_pipeline_label(otype, &input.label, None)?;
        Self::check_stage_labels(input.stages.iter().map(|s| s.label.as_str()))?;
        let id = match input.pipeline_id.filter(|s| !s.trim().is_empty()) {
            Some(id)
                if self
                    .by_type
                    .get(otype)
                    .is_some_and(|l| l.iter().any(|p| p.id == id)) =>
            {
                return Err(ApiError::conflict(format!(
                    "A pipeline with id {id} already exists for object type {}",
                    schema::type_id(otype)
                )));
            }
            Some(id) => id,
            None => self.fresh_id(),
        };
        let stages = self.new_stages(otype, input.stages, now)?;
        let list = self.type_mut(otype);
        list.push(Pipeline {
            id,
            label: input.label,
            display_order: input.display_order,
            stages,
            created_at: now,
            updated_at: now,
            archived_at: None,
        });
        Ok(list.last().expect("just pushed"))
    }

    /// Builds the stages of a new pipeline, nothing kept if one is refused.
    fn new_stages(
        &mut self,
        otype: &str,
        inputs: Vec<StageIn>,
        now: DateTime<Utc>,
    ) -> ApiResult<Vec<Stage>> {
        let mut stages: Vec<Stage> = Vec::with_capacity(inputs.len());
        for input in inputs {
            if let Some(id) = input.stage_id.as_deref()
                && stages.iter().any(|s| s.id == id)
            {
                return Err(ApiError::conflict(format!(
                    "A stage with id {id} is given twice"
                )));
            }
            stages.push(self.new_stage(otype, input, now)?);
        }
        Ok(stages)
    }

    /// Replaces a live pipeline (`PUT`): its label, order and stages. A listed `stageId`
    /// of the pipeline keeps that stage (and its records' values); other listed stages are
    /// new; stages not listed are archived.
    pub fn replace(
        &mut self,
        otype: &str,
        id: &str,
        input: PipelineIn,
        now: DateTime<Utc>,
    ) -> ApiResult<&Pipeline> {
        check_label("pipeline", &input.label)?;
        self.check_pipeline_label(otype, &input.label, Some(id))?;
        Self::check_stage_labels(input.stages.iter().map(|s| s.label.as_str()))?;
        let mut old = self.live_mut(otype, id)?.stages.clone();
        let mut kept = Vec::with_capacity(input.stages.len());
        for stage in input.stages {
            let existing = stage
                .stage_id
                .as_deref()
                .and_then(|sid| old.iter().position(|s| s.id == sid));
            match existing {
                Some(i) => {
                    let mut s = old.remove(i);
                    check_label("stage", &stage.label)?;
                    let metadata = metadata_strings(stage.metadata)?;
                    check_metadata(otype, &metadata)?;
                    (s.label, s.display_order, s.metadata) =
                        (stage.label, stage.display_order, metadata);
                    (s.updated_at, s.archived_at) = (now, None);
                    kept.push(s);
                }
                None => kept.push(self.new_stage(otype, stage, now)?),
            }
        }
        for mut gone in old {
            gone.archived_at.get_or_insert(now);
            kept.push(gone);
        }
        let p = self.live_mut(otype, id)?;
        (p.label, p.display_order, p.stages, p.updated_at) =
            (input.label, input.display_order, kept, now);
        Ok(p)
    }

    /// A partial update of a pipeline (`PATCH`). `archived` may only be sent to restore an
    /// archived pipeline: "If it's provided in any other call, the request will fail and a
    /// 400 Bad Request will be returned" (spec).
    pub fn patch(
        &mut self,
        otype: &str,
        id: &str,
        input: PatchIn,
        now: DateTime<Utc>,
    ) -> ApiResult<&Pipeline> {
        if let Some(label) = &input.label {
            check_label("pipeline", label)?;
            self.check_pipeline_label(otype, label, Some(id))?;
        }
        let list = self
            .by_type
            .get_mut(otype)
            .ok_or_else(|| not_found_pipeline(otype, id))?;
        let p = list
            .iter_mut()
            .find(|p| p.id == id && (p.is_live() || input.archived == Some(false)))
            .ok_or_else(|| not_found_pipeline(otype, id))?;
        match (input.archived, p.is_live()) {
            (Some(_), true) => {
                return Err(ApiError::validation(
                    "archived may only be provided to restore an archived pipeline",
                ));
            }
            (Some(false), false) => p.archived_at = None,
            _ => {}
        }
        if let Some(label) = input.label {
            p.label = label;
        }
        if let Some(order) = input.display_order {
            p.display_order = order;
        }
        p.updated_at = now;
        Ok(p)
    }

    /// Archives a live pipeline (`DELETE`). The spec's `validateReferencesBeforeDelete` and
    /// `validateDealStageUsagesBeforeDelete` are accepted and not acted on.
    pub fn archive(&mut self, otype: &str, id: &str, now: DateTime<Utc>) -> ApiResult<()> {
        let p = self.live_mut(otype, id)?;
        p.archived_at = Some(now);
        p.updated_at = now;
        Ok(())
    }

    /// Adds a stage to a live pipeline (`POST .../stages`).
    pub fn create_stage(
        &mut self,
        otype: &str,
        id: &str,
        input: StageIn,
        now: DateTime<Utc>,
    ) -> ApiResult<&Stage> {
        let labels = self
            .live_mut(otype, id)?
            .live_stages()
            .iter()
            .map(|s| s.label.clone())
            .collect::<Vec<_>>();
        let stage = self.new_stage(otype, input, now)?;
        Self::check_stage_labels(
            labels
                .iter()
                .map(String::as_str)
                .chain([stage.label.as_str()]),
        )?;
        let p = self.live_mut(otype, id)?;
        p.updated_at = now;
        p.stages.push(stage);
        Ok(p.stages.last().expect("just pushed"))
    }

    /// The live stage `stage_id` of the live pipeline `id`, to change; with `restoring`, an
    /// archived stage too.
    fn stage_mut(
        &mut self,
        otype: &str,
        id: &str,
        stage_id: &str,
        restoring: bool,
    ) -> ApiResult<&mut Stage> {
        let p = self.live_mut(otype, id)?;
        p.stages
            .iter_mut()
            .find(|s| s.id == stage_id && (s.is_live() || restoring))
            .ok_or_else(|| not_found_stage(stage_id, id))
    }

    /// Checks a new label and metadata for the stage `stage_id` of pipeline `id`.
    fn check_stage_change(
        &self,
        otype: &str,
        id: &str,
        stage_id: &str,
        label: Option<&str>,
        metadata: Option<&BTreeMap<String, String>>,
    ) -> ApiResult<()> {
        if let Some(label) = label {
            check_label("stage", label)?;
            let others = self
                .live_pipeline(otype, id)
                .map(|p| {
                    p.live_stages()
                        .into_iter()
                        .filter(|s| s.id != stage_id)
                        .map(|s| s.label.as_str())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            Self::check_stage_labels(others.into_iter().chain([label]))?;
        }
        if let Some(metadata) = metadata {
            check_metadata(otype, metadata)?;
        }
        Ok(())
    }

    /// Replaces a live stage (`PUT .../stages/{stageId}`).
    pub fn replace_stage(
        &mut self,
        otype: &str,
        id: &str,
        stage_id: &str,
        input: StageIn,
        now: DateTime<Utc>,
    ) -> ApiResult<&Stage> {
        let metadata = metadata_strings(input.metadata)?;
        self.stage_mut(otype, id, stage_id, false)?;
        self.check_stage_change(otype, id, stage_id, Some(&input.label), Some(&metadata))?;
        let s = self.stage_mut(otype, id, stage_id, false)?;
        (s.label, s.display_order, s.metadata, s.updated_at) =
            (input.label, input.display_order, metadata, now);
        Ok(s)
    }

    /// A partial update of a stage (`PATCH .../stages/{stageId}`); `archived` as for
    /// pipelines (sandbox pick: the spec says so of pipelines only).
    pub fn patch_stage(
        &mut self,
        otype: &str,
        id: &str,
        stage_id: &str,
        input: PatchIn,
        now: DateTime<Utc>,
    ) -> ApiResult<&Stage> {
        let metadata = input.metadata.map(metadata_strings).transpose()?;
        let restoring = input.archived == Some(false);
        let live = self.stage_mut(otype, id, stage_id, restoring)?.is_live();
        if input.archived.is_some() && live {
            return Err(ApiError::validation(
                "archived may only be provided to restore an archived stage",
            ));
        }
        self.check_stage_change(
            otype,
            id,
            stage_id,
            input.label.as_deref(),
            metadata.as_ref(),
        )?;
        let s = self.stage_mut(otype, id, stage_id, restoring)?;
        if restoring {
            s.archived_at = None;
        }
        if let Some(label) = input.label {
            s.label = label;
        }
        if let Some(order) = input.display_order {
            s.display_order = order;
        }
        if let Some(metadata) = metadata {
            s.metadata.extend(metadata);
        }
        s.updated_at = now;
        Ok(s)
    }

    /// Archives a live stage (`DELETE .../stages/{stageId}`): records can no longer be put
    /// in it.
    pub fn archive_stage(
        &mut self,
        otype: &str,
        id: &str,
        stage_id: &str,
        now: DateTime<Utc>,
    ) -> ApiResult<()> {
        let s = self.stage_mut(otype, id, stage_id, false)?;
        s.archived_at = Some(now);
        s.updated_at = now;
        Ok(())
    }

    /// The options the Properties API lists for the type's pipeline and stage properties:
    /// its live pipelines, and the live stages of each in turn. `None` for a type without
    /// pipelines.
    pub fn property_options(&self, otype: &str) -> Option<[(&'static str, Options); 2]> {
        if !self.has_pipelines(otype) {
            return None;
        }
        let live = self.live(otype);
        let pipelines = live
            .iter()
            .map(|p| (p.id.clone(), p.label.clone()))
            .collect();
        let stages = live
            .iter()
            .flat_map(|p| p.live_stages())
            .map(|s| (s.id.clone(), s.label.clone()))
            .collect();
        let (pipeline, stage) = property_names(otype);
        Some([(pipeline, pipelines), (stage, stages)])
    }

    /// The pipeline and stage a new lead gets when its create names none: the default
    /// pipeline, and the first live stage of the pipeline it ends up in (as HubSpot puts a
    /// new lead in its lead pipeline's first stage).
    pub fn lead_defaults(&self, props: &[(String, String)]) -> Vec<(&'static str, String)> {
        let (pipeline_prop, stage_prop) = property_names("leads");
        let given = |name: &str| {
            props
                .iter()
                .rev()
                .find(|(k, v)| k == name && !v.is_empty())
                .map(|(_, v)| v.clone())
        };
        let pipeline =
            given(pipeline_prop).or_else(|| self.default_pipeline("leads").map(|p| p.id.clone()));
        let mut out = Vec::new();
        if let Some(pipeline) = pipeline {
            if given(stage_prop).is_none()
                && let Some(first) = self
                    .live_pipeline("leads", &pipeline)
                    .and_then(|p| p.live_stages().first().map(|s| s.id.clone()))
            {
                out.push((stage_prop, first));
            }
            out.push((pipeline_prop, pipeline));
        }
        out
    }
}

/// Sets the options of the pipeline and stage properties in the Properties API's answer for
/// a type (`definitions`, each in that API's shape) to what the pipelines store holds, so
/// that a stage created through the pipelines API is listed at once and an archived one
/// is not.
pub(crate) fn list_options(pipelines: &Pipelines, otype: &str, definitions: &mut [Value]) {
    let Some(properties) = pipelines.property_options(otype) else {
        return;
    };
    for (name, options) in properties {
        let options: Vec<Value> = options
            .iter()
            .enumerate()
            .map(|(i, (value, label))| {
                json!({"label": label, "value": value, "hidden": false, "displayOrder": i})
            })
            .collect();
        for definition in definitions.iter_mut().filter(|d| d["name"] == name) {
            definition["options"] = json!(options);
        }
    }
}
