//! Checks of pipeline and stage inputs before they are sent, each naming the field at fault
//! by its JSON name (`stages[2].metadata.probability`).
//!
//! The rules are the pipelines spec's (and HubSpot's pipelines guide): labels name things in
//! HubSpot's UI, a stage's label is unique within its pipeline, a deal stage needs
//! `metadata.probability` (0.0 to 1.0 in steps of 0.1), a ticket stage's `ticketState` is
//! `OPEN` or `CLOSED`, and `archived` may only be sent to restore (`false`).

use std::collections::BTreeMap;

use hubspot_crm_api::shared::{
    PipelineInput, PipelinePatchInput, PipelineReplaceInput, PipelineStageInput,
    PipelineStagePatchInput, PipelineStageReplaceInput,
};

use crate::associations::standard_object_type;
use crate::error::ValidationError;
use crate::validate::path_segment;

type Checked = std::result::Result<(), ValidationError>;

/// What the object type asks of stage metadata.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StageRules {
    /// Deals: `probability` required.
    Deals,
    /// Tickets: `ticketState`, if given, `OPEN` or `CLOSED`.
    Tickets,
    Other,
}

impl StageRules {
    fn of(object_type: &str) -> Self {
        match standard_object_type(object_type) {
            Some("deals") => StageRules::Deals,
            Some("tickets") => StageRules::Tickets,
            _ => StageRules::Other,
        }
    }
}

fn field(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn label(field: &str, label: &str) -> Checked {
    if label.trim().is_empty() {
        return Err(ValidationError::new(
            field,
            "must not be blank: it names the pipeline or stage in HubSpot",
        ));
    }
    Ok(())
}

/// `archived` may only be sent as `false`, to restore: archiving is a `DELETE` (the spec: sent
/// in any other call, "the request will fail").
fn archived(archived: Option<bool>) -> Checked {
    match archived {
        Some(true) => Err(ValidationError::new(
            "archived",
            "may only be `false`, to restore an archived pipeline or stage; archive with `archive`/`archive_stage`",
        )),
        _ => Ok(()),
    }
}

/// A deal stage's probability: a number from 0.0 to 1.0 in steps of 0.1.
fn probability(field: &str, value: &str) -> Checked {
    let parsed = value.trim().parse::<f64>().ok().filter(|p| p.is_finite());
    let Some(p) = parsed else {
        return Err(ValidationError::new(
            field,
            format!("`{}` is not a number", value.escape_debug()),
        ));
    };
    let tenths = p * 10.0;
    if !(0.0..=1.0).contains(&p) || (tenths - tenths.round()).abs() > 1e-9 {
        return Err(ValidationError::new(
            field,
            format!("`{value}` is not a probability HubSpot takes: 0.0 to 1.0 in steps of 0.1"),
        ));
    }
    Ok(())
}

/// Stage metadata; `required` when the stage is created or replaced (a patch may leave the
/// probability out).
fn metadata(
    rules: StageRules,
    prefix: &str,
    metadata: &BTreeMap<String, String>,
    required: bool,
) -> Checked {
    match rules {
        StageRules::Deals => match metadata.get("probability") {
            Some(p) => probability(&field(prefix, "metadata.probability"), p),
            None if required => Err(ValidationError::new(
                field(prefix, "metadata.probability"),
                "is required for a deal stage: the likelihood, 0.0 to 1.0, that a deal in it closes",
            )),
            None => Ok(()),
        },
        StageRules::Tickets => match metadata.get("ticketState").map(String::as_str) {
            None | Some("OPEN" | "CLOSED") => Ok(()),
            Some(other) => Err(ValidationError::new(
                field(prefix, "metadata.ticketState"),
                format!("`{}` is not `OPEN` or `CLOSED`", other.escape_debug()),
            )),
        },
        StageRules::Other => Ok(()),
    }
}

/// An id the input chooses, which will go into paths later.
fn chosen_id(field: &str, id: Option<&str>) -> Checked {
    match id {
        Some(id) => path_segment(field, id),
        None => Ok(()),
    }
}

/// The stages of a pipeline to create or replace: each one checked, labels and chosen ids
/// distinct.
fn stages(rules: StageRules, stages: &[PipelineStageInput]) -> Checked {
    for (i, stage) in stages.iter().enumerate() {
        let prefix = format!("stages[{i}]");
        label(&field(&prefix, "label"), &stage.label)?;
        chosen_id(&field(&prefix, "stageId"), stage.stage_id.as_deref())?;
        metadata(rules, &prefix, &stage.metadata, true)?;
        let earlier = &stages[..i];
        if let Some(j) = earlier
            .iter()
            .position(|s| s.label.trim() == stage.label.trim())
        {
            return Err(ValidationError::new(
                field(&prefix, "label"),
                format!(
                    "`{}` is the label of stages[{j}] too: a stage's label is unique within its pipeline",
                    stage.label.trim()
                ),
            ));
        }
        if let Some(id) = stage.stage_id.as_deref()
            && let Some(j) = earlier
                .iter()
                .position(|s| s.stage_id.as_deref() == Some(id))
        {
            return Err(ValidationError::new(
                field(&prefix, "stageId"),
                format!("`{id}` is the id of stages[{j}] too"),
            ));
        }
    }
    Ok(())
}

/// A pipeline to create.
pub(super) fn new_pipeline(object_type: &str, input: &PipelineInput) -> Checked {
    label("label", &input.label)?;
    chosen_id("pipelineId", input.pipeline_id.as_deref())?;
    stages(StageRules::of(object_type), &input.stages)
}

/// A pipeline's replacement.
pub(super) fn replacement(object_type: &str, input: &PipelineReplaceInput) -> Checked {
    label("label", &input.label)?;
    stages(StageRules::of(object_type), &input.stages)
}

/// A partial update of a pipeline.
pub(super) fn patch(input: &PipelinePatchInput) -> Checked {
    if let Some(l) = &input.label {
        label("label", l)?;
    }
    archived(input.archived)
}

/// A stage to create.
pub(super) fn new_stage(object_type: &str, input: &PipelineStageInput) -> Checked {
    label("label", &input.label)?;
    chosen_id("stageId", input.stage_id.as_deref())?;
    metadata(StageRules::of(object_type), "", &input.metadata, true)
}

/// A stage's replacement.
pub(super) fn stage_replacement(object_type: &str, input: &PipelineStageReplaceInput) -> Checked {
    label("label", &input.label)?;
    metadata(StageRules::of(object_type), "", &input.metadata, true)
}

/// A partial update of a stage.
pub(super) fn stage_patch(object_type: &str, input: &PipelineStagePatchInput) -> Checked {
    if let Some(l) = &input.label {
        label("label", l)?;
    }
    archived(input.archived)?;
    metadata(StageRules::of(object_type), "", &input.metadata, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deal_probabilities_run_from_0_to_1_in_tenths() {
        for ok in ["0", "0.0", "0.1", "0.5", "0.7", "1", "1.0", " 0.3 "] {
            assert_eq!(probability("p", ok), Ok(()), "{ok}");
        }
        for bad in [
            "", "-0.1", "1.1", "0.25", "0.05", "NaN", "inf", "half", "1e400",
        ] {
            let error = probability("p", bad).unwrap_err();
            assert_eq!(error.field, "p", "{bad}");
        }
    }

    #[test]
    fn ticket_states_are_open_or_closed() {
        let with = |state: &str| BTreeMap::from([("ticketState".to_owned(), state.to_owned())]);
        assert_eq!(
            metadata(StageRules::Tickets, "", &with("OPEN"), true),
            Ok(())
        );
        assert_eq!(
            metadata(StageRules::Tickets, "", &with("CLOSED"), true),
            Ok(())
        );
        assert_eq!(
            metadata(StageRules::Tickets, "", &BTreeMap::new(), true),
            Ok(())
        );
        let error = metadata(StageRules::Tickets, "stages[1]", &with("open"), true).unwrap_err();
        assert_eq!(error.field, "stages[1].metadata.ticketState");
    }

    #[test]
    fn object_types_are_told_by_name_or_id() {
        for deals in ["deals", "DEALS", "deal", "0-3"] {
            assert!(StageRules::of(deals) == StageRules::Deals, "{deals}");
        }
        for tickets in ["tickets", "0-5"] {
            assert!(StageRules::of(tickets) == StageRules::Tickets, "{tickets}");
        }
        assert!(StageRules::of("leads") == StageRules::Other);
    }
}
