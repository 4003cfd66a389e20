//! The checks of a record write against what the account holds rather than the property
//! definitions: its pipelines (a stage must belong to the record's pipeline) and its owners
//! (`hubspot_owner_id` must be an active owner). A refusal is a refused value like any other
//! (`values`), answered the same way, single or batch.
//!
//! Sources: the pipelines spec (a record's stage is one of its pipeline's stages; a deal's
//! `dealstage` follows its `pipeline`), and hubspot-facts.md ("Leads": `hubspot_owner_id`
//! names a user of the account) and "Batch writes as HubSpot answers them" for the refusal's
//! shape. Which pipeline a record naming none goes to, and the error code of an unknown
//! owner, are the sandbox's own readings: HubSpot's answers name neither.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::owners::AccountOwners;
use crate::pipelines::property_names;
use crate::store::Store;
use crate::values::Refusal;

/// The owner property of every object type.
const OWNER_PROPERTY: &str = "hubspot_owner_id";

/// The error code of a `hubspot_owner_id` that names no active owner (the sandbox's reading:
/// the code HubSpot's integrators quote; no published source gives it).
const INVALID_OWNER_ID: &str = "INVALID_OWNER_ID";

/// The code of a value that is not among a property's options (values.rs).
const INVALID_OPTION: &str = "INVALID_OPTION";

/// What the pipeline and stage values of one write must be.
#[derive(Debug)]
struct PipelineRule {
    pipeline_prop: &'static str,
    stage_prop: &'static str,
    /// The type's live pipelines.
    pipelines: Vec<String>,
    /// The live stages of the pipeline the write leaves the record in.
    stages: Vec<String>,
}

/// What one write of a record is checked against, copied out of the store before its values
/// are (so that the checks hold no borrow of it).
#[derive(Debug)]
pub(crate) struct AccountCheck {
    owners: Arc<AccountOwners>,
    /// `None` for a type without pipelines.
    pipelines: Option<PipelineRule>,
}

/// A write's value of `name`, as given (a scalar), when it gives one.
fn given(input: &Map<String, Value>, name: &str) -> Option<String> {
    input
        .get(name)
        .and_then(crate::api::scalar_string)
        .filter(|v| !v.is_empty())
}

impl AccountCheck {
    /// The checks of a write of `input` (its `properties`) to a record of `otype`: a create,
    /// or an update of the record `existing`. The stage must be one of the record's
    /// pipeline: the one the write gives, else the one the record is in, else the type's
    /// default (the sandbox's reading: the live pipeline first in display order).
    pub fn new(
        store: &Store,
        otype: &str,
        input: &Map<String, Value>,
        existing: Option<u64>,
    ) -> Self {
        let pipelines = store.pipelines.has_pipelines(otype).then(|| {
            let (pipeline_prop, stage_prop) = property_names(otype);
            let current = existing
                .and_then(|id| store.get(otype, id))
                .and_then(|o| o.get(pipeline_prop))
                .filter(|v| !v.is_empty())
                .map(str::to_string);
            let pipeline = given(input, pipeline_prop).or(current).or_else(|| {
                store
                    .pipelines
                    .default_pipeline(otype)
                    .map(|p| p.id.clone())
            });
            let stages = pipeline
                .and_then(|id| store.pipelines.live_pipeline(otype, &id))
                .map(|p| p.live_stages().iter().map(|s| s.id.clone()).collect())
                .unwrap_or_default();
            PipelineRule {
                pipeline_prop,
                stage_prop,
                pipelines: store
                    .pipelines
                    .live(otype)
                    .iter()
                    .map(|p| p.id.clone())
                    .collect(),
                stages,
            }
        });
        AccountCheck {
            owners: store.owners.clone(),
            pipelines,
        }
    }

    /// The verdict on a value of `name` when the account decides it (a pipeline, a stage, an
    /// owner); `None` for the properties whose definitions decide. The empty string clears
    /// and is accepted.
    pub fn check(&self, name: &str, value: &str) -> Option<Result<(), Refusal>> {
        if name == OWNER_PROPERTY {
            return Some(self.owner(value));
        }
        let rule = self.pipelines.as_ref()?;
        let allowed = if name == rule.pipeline_prop {
            &rule.pipelines
        } else if name == rule.stage_prop {
            &rule.stages
        } else {
            return None;
        };
        if value.is_empty() || allowed.iter().any(|a| a == value) {
            return Some(Ok(()));
        }
        // The wording of any other option refused (values.rs): the options here are the
        // pipelines, or the stages of the record's pipeline.
        Some(Err(Refusal {
            message: format!(
                "{value} was not one of the allowed options: [{}]",
                allowed.join(", ")
            ),
            code: INVALID_OPTION,
        }))
    }

    fn owner(&self, value: &str) -> Result<(), Refusal> {
        if value.is_empty() || self.owners.is_active(value) {
            return Ok(());
        }
        Err(Refusal {
            message: format!("{value} is not a valid owner id"),
            code: INVALID_OWNER_ID,
        })
    }
}
