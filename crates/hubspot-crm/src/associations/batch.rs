//! The associations API for many pairs of records at once.

use std::collections::HashMap;

use hubspot_crm_api::associations_2026_09;
use hubspot_crm_api::shared::{self, BatchInputPublicAssociationMultiPost};

use super::Associations;
use super::limits;
use super::model::{
    AssociationBatch, AssociationInput, AssociationLink, AssociationRemoval, RecordAssociations,
    batch, finish_removal,
};
use crate::error::{Result, ValidationError};
use crate::route::{family, on_version};
use crate::v2026_09;
use crate::validate::{check_batch_size, check_object_type, check_types, validate_record_id};

impl Associations {
    /// Creates up to 2,000 associations between records of two object types
    /// (`POST /crm/v4/associations/{from}/{to}/batch/create`). Failures of single inputs
    /// come back in [`AssociationBatch::errors`].
    pub async fn batch_create(
        &self,
        from_object_type: &str,
        to_object_type: &str,
        inputs: &[AssociationInput],
    ) -> Result<AssociationBatch<AssociationLink>> {
        check_object_type("fromObjectType", from_object_type)?;
        check_object_type("toObjectType", to_object_type)?;
        check_batch_size(inputs.len(), limits::MAX_BATCH_CREATE)?;
        let mut pairs = HashMap::new();
        for (i, input) in inputs.iter().enumerate() {
            validate_record_id("from.id", &input.from.id).map_err(|e| e.at_item(i))?;
            validate_record_id("to.id", &input.to.id).map_err(|e| e.at_item(i))?;
            check_types("types", &input.types).map_err(|e| e.at_item(i))?;
            check_unique_pair(
                &mut pairs,
                &input.from.id,
                &input.to.id,
                i,
                "to.id",
                "give all its types in one input",
            )?;
        }
        let body = BatchInputPublicAssociationMultiPost {
            inputs: inputs.iter().map(|input| input.0.clone()).collect(),
        };
        let (call, api) = self.client.start::<family::Associations>().await?;
        on_version!(api, |api| {
            let result = api
                .batch_create()
                .from_object_type(from_object_type)
                .to_object_type(to_object_type)
                .body(body)
                .send()
                .await;
            let answer = call.finish(result, Vec::new)?;
            Ok(batch(&call, answer.status, answer.results, answer.errors))
        })
    }

    /// Reads the associations of up to 1,000 records to an object type
    /// (`POST /crm/v4/associations/{from}/{to}/batch/read`). A record without associations
    /// comes back in [`AssociationBatch::errors`]. Each record's result holds one page of its
    /// associations: where its `paging` names a next page, [`Self::list_stream`] reads the
    /// rest (on 2026-09 HubSpot pages long lists here).
    pub async fn batch_read<I, S>(
        &self,
        from_object_type: &str,
        to_object_type: &str,
        ids: I,
    ) -> Result<AssociationBatch<RecordAssociations>>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        check_object_type("fromObjectType", from_object_type)?;
        check_object_type("toObjectType", to_object_type)?;
        let ids: Vec<String> = ids.into_iter().map(Into::into).collect();
        check_batch_size(ids.len(), limits::MAX_BATCH_READ)?;
        let mut seen = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            validate_record_id("id", id).map_err(|e| e.at_item(i))?;
            if let Some(first) = seen.insert(id.as_str(), i) {
                return Err(ValidationError::new(
                    "id",
                    format!(
                        "`{id}` is also item {first}'s; HubSpot answers once per record, so each id may appear once"
                    ),
                )
                .at_item(i)
                .into());
            }
        }
        let body = shared::BatchInputPublicFetchAssociationsBatchRequest {
            inputs: ids
                .into_iter()
                .map(|id| shared::PublicFetchAssociationsBatchRequest { after: None, id })
                .collect(),
        };
        let (call, api) = self.client.start::<family::Associations>().await?;
        on_version!(api, |api| {
            let result = api
                .batch_read()
                .from_object_type(from_object_type)
                .to_object_type(to_object_type)
                .body(body)
                .send()
                .await;
            let answer = call.finish(result, Vec::new)?;
            let results = answer
                .results
                .into_iter()
                .map(IntoRecordAssociations::into_record_associations)
                .collect();
            Ok(batch(&call, answer.status, results, answer.errors))
        })
    }

    /// Removes every association between each input's record and its `to_ids`
    /// (`POST /crm/v4/associations/{from}/{to}/batch/archive`), up to 2,000 inputs; each pair
    /// of records may appear once.
    pub async fn batch_remove(
        &self,
        from_object_type: &str,
        to_object_type: &str,
        inputs: &[AssociationRemoval],
    ) -> Result<()> {
        check_object_type("fromObjectType", from_object_type)?;
        check_object_type("toObjectType", to_object_type)?;
        check_batch_size(inputs.len(), limits::MAX_BATCH_ARCHIVE)?;
        let mut pairs = HashMap::new();
        for (i, input) in inputs.iter().enumerate() {
            validate_record_id("from.id", &input.from.id).map_err(|e| e.at_item(i))?;
            if input.to.is_empty() {
                return Err(ValidationError::new("to", "needs at least one record id")
                    .at_item(i)
                    .into());
            }
            for (j, to) in input.to.iter().enumerate() {
                let field = format!("to[{j}].id");
                validate_record_id(&field, &to.id).map_err(|e| e.at_item(i))?;
                check_unique_pair(
                    &mut pairs,
                    &input.from.id,
                    &to.id,
                    i,
                    &field,
                    "remove it once",
                )?;
            }
        }
        let body = shared::BatchInputPublicAssociationMultiArchive {
            inputs: inputs.iter().map(|input| input.0.clone()).collect(),
        };
        let (call, api) = self.client.start::<family::Associations>().await?;
        on_version!(api, |api| {
            let result = api
                .batch_archive()
                .from_object_type(from_object_type)
                .to_object_type(to_object_type)
                .body(body)
                .send()
                .await;
            finish_removal(&call, result)
        })
    }
}

/// Rejects a pair of records already named by an earlier input of the same batch: HubSpot's
/// answer names pairs, so two inputs for one pair could not be told apart.
fn check_unique_pair(
    seen: &mut HashMap<(String, String), usize>,
    from: &str,
    to: &str,
    index: usize,
    field: &str,
    remedy: &str,
) -> std::result::Result<(), ValidationError> {
    if let Some(first) = seen.insert((from.to_owned(), to.to_owned()), index) {
        return Err(ValidationError::new(
            field,
            format!(
                "the pair {from} → {to} is also item {first}'s; each pair may appear once in a batch ({remedy})"
            ),
        )
        .at_item(index));
    }
    Ok(())
}

/// A batch read's answer for one record, of any version, as v4 shapes it.
trait IntoRecordAssociations {
    fn into_record_associations(self) -> RecordAssociations;
}

impl IntoRecordAssociations for RecordAssociations {
    fn into_record_associations(self) -> RecordAssociations {
        self
    }
}

impl IntoRecordAssociations for associations_2026_09::types::PublicAssociationMultiWithLabel {
    fn into_record_associations(self) -> RecordAssociations {
        v2026_09::record_associations(self)
    }
}
