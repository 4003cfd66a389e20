//! The inputs and answers of the associations API: the generated shapes under this crate's
//! names, and the batch answer every version's is read into.

use hubspot_crm_api::associations as v4;
use hubspot_crm_api::shared::associations::AssociationSpec;
use hubspot_crm_api::shared::{self, PublicAssociationMultiPost, PublicObjectId};

use crate::error::{ApiError, Error, Result};
use crate::model::AssociationType;
use crate::transport::Call;

/// A record associated with the record whose associations were listed: HubSpot's
/// `MultiAssociatedObjectWithLabel` (`to_object_id`, and `association_types` with their labels).
/// 2026-09 sends no object type ids in the types: `from_object_type_id` and
/// `to_object_type_id` are `None` there.
pub use v4::types::MultiAssociatedObjectWithLabel as AssociationTarget;

/// Two records that were associated, with the labels now between them: HubSpot's
/// `LabelsBetweenObjectPair`.
pub use shared::LabelsBetweenObjectPair as AssociationLink;

/// A default association made between two records: HubSpot's `PublicDefaultAssociation`.
pub use shared::PublicDefaultAssociation as DefaultAssociation;

/// One record's associations from a batch read: HubSpot's `PublicAssociationMultiWithLabel`
/// (`from`, one page of `to`, and `paging` to this record's next page).
pub use v4::types::PublicAssociationMultiWithLabel as RecordAssociations;

/// HubSpot's answer to an associations batch: what succeeded and what failed (a 207).
#[derive(Clone, Debug)]
pub struct AssociationBatch<T> {
    /// HubSpot's status: `COMPLETE`, `PENDING`, ...
    pub status: String,
    /// The items that succeeded.
    pub results: Vec<T>,
    /// Failures HubSpot reported, naming the inputs concerned in `context`.
    pub errors: Vec<ApiError>,
}

/// One association to create in a batch: the generated `PublicAssociationMultiPost` (fields
/// through `Deref`).
#[derive(Clone, Debug)]
pub struct AssociationInput(pub(super) PublicAssociationMultiPost);

impl AssociationInput {
    /// An input associating `from_id` with `to_id` by `types`.
    pub fn new(
        from_id: impl Into<String>,
        to_id: impl Into<String>,
        types: impl IntoIterator<Item = AssociationType>,
    ) -> Self {
        AssociationInput(PublicAssociationMultiPost {
            from: PublicObjectId { id: from_id.into() },
            to: PublicObjectId { id: to_id.into() },
            types: types.into_iter().map(|t| spec(&t)).collect(),
        })
    }
}

crate::model::deref_to!(AssociationInput => PublicAssociationMultiPost, 0);

/// Associations to remove in a batch, all those between `from` and each of `to`: the
/// generated `PublicAssociationMultiArchive` (fields through `Deref`).
#[derive(Clone, Debug)]
pub struct AssociationRemoval(pub(super) shared::PublicAssociationMultiArchive);

impl AssociationRemoval {
    /// A removal of every association between `from_id` and each of `to_ids`.
    pub fn new<I, S>(from_id: impl Into<String>, to_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        AssociationRemoval(shared::PublicAssociationMultiArchive {
            from: PublicObjectId { id: from_id.into() },
            to: to_ids
                .into_iter()
                .map(|id| PublicObjectId { id: id.into() })
                .collect(),
        })
    }
}

crate::model::deref_to!(AssociationRemoval => shared::PublicAssociationMultiArchive, 0);

/// The answer of a batch removal: nothing (v4), or a status listing failed inputs (2026-09).
pub(super) trait RemovalAnswer {
    /// The failed inputs HubSpot reported.
    fn failures(&self) -> &[serde_json::Value];
}

impl RemovalAnswer for () {
    fn failures(&self) -> &[serde_json::Value] {
        &[]
    }
}

impl RemovalAnswer for shared::BatchResponseVoid {
    fn failures(&self) -> &[serde_json::Value] {
        &self.errors
    }
}

/// [`Call::finish`] for a batch removal, whose answer matters only for the failures it
/// reports: a reported failure fails the call (with the first of them), and a 2xx whose body
/// does not read as the spec says is a removal done (HubSpot did the work; v4 answers 204
/// where 2026-09 specifies a status).
pub(super) fn finish_removal<T: RemovalAnswer, E>(
    call: &Call,
    result: std::result::Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
) -> Result<()> {
    match call.finish(result, Vec::new) {
        Ok(answer) => match answer.failures().first() {
            Some(failure) => Err(ApiError::from_json(call.status(), failure).into()),
            None => Ok(()),
        },
        Err(Error::Decode { status, .. }) if (200..300).contains(&status) => Ok(()),
        Err(error) => Err(error),
    }
}

pub(super) fn spec(t: &AssociationType) -> AssociationSpec {
    AssociationSpec {
        association_category: t.category.as_str().to_owned(),
        association_type_id: t.type_id,
    }
}

pub(super) fn batch<T>(
    call: &Call,
    status: String,
    results: Vec<T>,
    errors: Vec<serde_json::Value>,
) -> AssociationBatch<T> {
    let http_status = call.status();
    AssociationBatch {
        status,
        results,
        errors: errors
            .iter()
            .map(|e| ApiError::from_json(http_status, e))
            .collect(),
    }
}
