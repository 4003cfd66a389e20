//! Reads whose property lists are too long for one URL. GET reads send `properties` and
//! `propertiesWithHistory` in the query string, and HubSpot answers 414 past its URL limit
//! (around 8-16 KB), which a list of an account's hundreds of properties passes. A read whose
//! lists would make its query string longer than the client's budget
//! ([`ClientBuilder::max_query_length`](crate::ClientBuilder::max_query_length)) sends the
//! first names that fit and reads the rest for each record it got through batch reads, whose
//! POST bodies have no such limit; the parts are merged into one record per id.

use std::collections::HashMap;

use crate::bulk::{MAX_BATCH_INPUTS, MAX_BATCH_READ_WITH_HISTORY};
use crate::error::{ApiError, Error, Result};
use crate::model::{OBJECT_ID_PROPERTY, Page, Record};
use crate::objects::{CrmObject, Objects};
use crate::query_budget::Split;

/// Whether a batch read's error says records were not found (archived, or deleted).
fn is_not_found(error: &ApiError) -> bool {
    error.status == 404 || error.category.as_deref() == Some("OBJECT_NOT_FOUND")
}

/// The rest of some records' properties, by record id.
struct Rest {
    found: HashMap<String, Record>,
    /// HubSpot's error for the ids it did not find, if it sent one.
    not_found: Option<ApiError>,
}

impl<O: CrmObject> Objects<O> {
    /// Batch-reads the rest of `split`'s lists for `ids`: 100 ids a request, 50 with
    /// history. Ids not found are left out of the answer; any other failure fails it.
    async fn read_rest(&self, ids: Vec<String>, split: &Split, archived: bool) -> Result<Rest> {
        let chunk_size = if split.rest_history.is_empty() {
            MAX_BATCH_INPUTS
        } else {
            MAX_BATCH_READ_WITH_HISTORY
        };
        // An empty list would bring HubSpot's defaults, which the first read chose.
        let properties = if split.rest_properties.is_empty() {
            vec![OBJECT_ID_PROPERTY.to_owned()]
        } else {
            split.rest_properties.clone()
        };
        let mut rest = Rest {
            found: HashMap::with_capacity(ids.len()),
            not_found: None,
        };
        for chunk in ids.chunks(chunk_size) {
            let answer = self
                .send_batch_read_lists(
                    chunk.to_vec(),
                    properties.clone(),
                    split.rest_history.clone(),
                    archived,
                )
                .await;
            let answer = match answer {
                Ok(answer) => answer,
                Err(Error::Api(error)) if is_not_found(&error) => {
                    rest.not_found.get_or_insert(*error);
                    continue;
                }
                Err(error) => return Err(error),
            };
            for error in answer.errors {
                if !is_not_found(&error) {
                    return Err(error.into());
                }
                rest.not_found.get_or_insert(error);
            }
            for record in answer.results {
                rest.found.insert(record.id.clone(), record);
            }
        }
        Ok(rest)
    }

    /// A record read by GET with the first part of `split`'s lists, completed with the rest.
    /// A record archived between the two reads is a 404, as a read a moment later answers.
    pub(crate) async fn complete_record(
        &self,
        mut record: Record,
        split: &Split,
        archived: bool,
    ) -> Result<Record> {
        let mut rest = self
            .read_rest(vec![record.id.clone()], split, archived)
            .await?;
        let Some(part) = rest.found.remove(&record.id) else {
            let error = rest.not_found.unwrap_or_else(|| ApiError {
                category: Some("OBJECT_NOT_FOUND".to_owned()),
                message: Some(format!(
                    "{} {} was not found by the batch read of the rest of its properties",
                    self.object_type(),
                    record.id
                )),
                ..ApiError::default()
            });
            return Err(ApiError {
                status: 404,
                ..error
            }
            .into());
        };
        record.absorb(part);
        Ok(record)
    }

    /// A page read by GET with the first part of `split`'s lists, its records completed
    /// with the rest. A record the batch reads no longer find (archived since the page was
    /// read) is left out, with a warning, as a list a moment later would leave it out: never
    /// yielded without the properties asked for.
    pub(crate) async fn complete_page(
        &self,
        mut page: Page<Record>,
        split: &Split,
        archived: bool,
    ) -> Result<Page<Record>> {
        if page.results.is_empty() {
            return Ok(page);
        }
        let ids = page.results.iter().map(|r| r.id.clone()).collect();
        let mut rest = self.read_rest(ids, split, archived).await?;
        page.results.retain_mut(|record| match rest.found.remove(&record.id) {
            Some(part) => {
                record.absorb(part);
                true
            }
            None => {
                tracing::warn!(
                    object_type = self.object_type(),
                    id = %record.id,
                    "record left out of the page: the batch read of the rest of its properties did not find it (archived since the page was read)"
                );
                false
            }
        });
        Ok(page)
    }
}
