//! Bulk operations of any size: inputs are checked first, split into requests HubSpot accepts,
//! sent a few at a time, and every input comes back accounted for, in input order.
//!
//! HubSpot answers a batch with results and, on a partial failure (HTTP 207), errors. Neither
//! list is in input order, so each answer is tied back to its input: creates by a unique
//! `objectWriteTraceId` per input, the others by record id (or `idProperty` value). An input
//! that HubSpot neither confirmed nor rejected is reported failed, never as done.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use futures::future::BoxFuture;

use crate::error::{ApiError, Error, Result, ValidationError};
use crate::model::{BatchResponse, NewRecord, ReadOptions, Record, RecordUpdate};
use crate::objects::{CrmObject, Objects};
use crate::validate::{
    property_map_names, read_options, validate_address, validate_new_common, validate_record_id,
};

/// One failed item of a batch answer, as HubSpot reported it.
pub type BatchItemError = ApiError;

/// Inputs per batch request: HubSpot's cap for batch read, create, update, upsert and archive.
pub const MAX_BATCH_INPUTS: usize = 100;

/// Inputs per batch read that asks for `propertiesWithHistory`: HubSpot's lower cap for it.
pub(crate) const MAX_BATCH_READ_WITH_HISTORY: usize = 50;

/// Requests in flight at once by default: low enough that one bulk call cannot exhaust
/// HubSpot's burst limit on its own (the client's rate limiter applies to each request too).
pub const DEFAULT_CONCURRENCY: usize = 4;

/// How a bulk operation sends its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BulkOptions {
    /// Batch requests in flight at once (at least 1).
    pub concurrency: usize,
}

impl Default for BulkOptions {
    fn default() -> Self {
        BulkOptions {
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

impl BulkOptions {
    /// The defaults: [`DEFAULT_CONCURRENCY`] requests in flight.
    pub fn new() -> Self {
        Self::default()
    }

    /// Batch requests in flight at once.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    pub(crate) fn validate(&self) -> std::result::Result<(), ValidationError> {
        if self.concurrency == 0 {
            return Err(ValidationError::new("concurrency", "must be at least 1"));
        }
        Ok(())
    }
}

/// What happened to one input of a bulk operation.
#[derive(Clone, Debug)]
pub enum ItemOutcome<I, T = Record> {
    /// HubSpot confirmed it: the record (or, for archives, the archived id).
    Succeeded(T),
    /// It failed, or HubSpot did not confirm it.
    Failed(ItemError<I>),
}

impl<I, T> ItemOutcome<I, T> {
    /// The success value, if it succeeded.
    pub fn succeeded(&self) -> Option<&T> {
        match self {
            ItemOutcome::Succeeded(value) => Some(value),
            ItemOutcome::Failed(_) => None,
        }
    }

    /// The failure, if it failed.
    pub fn failed(&self) -> Option<&ItemError<I>> {
        match self {
            ItemOutcome::Succeeded(_) => None,
            ItemOutcome::Failed(error) => Some(error),
        }
    }
}

/// A failed input of a bulk operation: where it was, what it was, and why it failed.
#[derive(Clone, Debug)]
pub struct ItemError<I> {
    /// Its position in the caller's input.
    pub index: usize,
    /// The input as sent (for creates, with the `objectWriteTraceId` it was sent with).
    pub input: I,
    /// Why it failed.
    pub cause: FailureCause,
}

impl<I> ItemError<I> {
    /// Whether HubSpot may have applied the change anyway (the request's outcome is unknown,
    /// or HubSpot answered without confirming this input): check before sending it again.
    pub fn may_have_been_applied(&self) -> bool {
        match &self.cause {
            FailureCause::Rejected(_) => false,
            FailureCause::NotConfirmed { .. } => true,
            FailureCause::RequestFailed(error) => match error.as_ref() {
                Error::OutcomeUnknown { .. } | Error::Transport(_) | Error::Decode { .. } => true,
                Error::Api(api) => api.status >= 500,
                // An answer cut at the cap: a success or a server error may hide done work.
                Error::BodyTooLarge { status, .. } => (200..300).contains(status) || *status >= 500,
                _ => false,
            },
        }
    }
}

impl<I> fmt::Display for ItemError<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "item {}: {}", self.index, self.cause)
    }
}

impl<I: fmt::Debug> std::error::Error for ItemError<I> {}

/// Why an input of a bulk operation failed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum FailureCause {
    /// HubSpot rejected this input in its answer (a 207). One error may name several inputs,
    /// hence shared.
    Rejected(Arc<BatchItemError>),
    /// The whole request carrying this input failed (a 400 for the request, a proxy error, a
    /// transport failure, an unknown outcome); shared by the inputs of that request.
    RequestFailed(Arc<Error>),
    /// HubSpot answered the request with success but neither confirmed nor rejected this input.
    NotConfirmed {
        /// Errors in the same answer that could not be tied to any input, if any.
        unattributed_errors: Vec<Arc<BatchItemError>>,
    },
}

impl fmt::Display for FailureCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureCause::Rejected(error) => {
                write!(f, "rejected by HubSpot")?;
                if let Some(category) = &error.category {
                    write!(f, " ({category})")?;
                }
                if let Some(message) = &error.message {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            FailureCause::RequestFailed(error) => write!(f, "its request failed: {error}"),
            FailureCause::NotConfirmed {
                unattributed_errors,
            } => {
                write!(
                    f,
                    "not confirmed by HubSpot: its answer neither listed this input as done nor as failed"
                )?;
                if !unattributed_errors.is_empty() {
                    write!(
                        f,
                        " ({} error(s) in the answer named no input)",
                        unattributed_errors.len()
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// The outcome of a bulk operation: one entry per input, in input order.
#[derive(Clone, Debug)]
pub struct BulkResult<I, T = Record> {
    /// One outcome per input, in input order.
    pub outcomes: Vec<ItemOutcome<I, T>>,
    /// Records HubSpot returned that could not be tied to exactly one input (kept, not
    /// dropped, and never counted as an input's success).
    pub unmatched_results: Vec<Record>,
    /// Errors HubSpot returned that named no input.
    pub unmatched_errors: Vec<Arc<BatchItemError>>,
}

impl<I, T> BulkResult<I, T> {
    fn empty() -> Self {
        BulkResult {
            outcomes: Vec::new(),
            unmatched_results: Vec::new(),
            unmatched_errors: Vec::new(),
        }
    }

    /// The confirmed values, in input order.
    pub fn succeeded(&self) -> impl Iterator<Item = &T> {
        self.outcomes.iter().filter_map(ItemOutcome::succeeded)
    }

    /// The failures, in input order.
    pub fn failed(&self) -> impl Iterator<Item = &ItemError<I>> {
        self.outcomes.iter().filter_map(ItemOutcome::failed)
    }

    /// Whether every input succeeded.
    pub fn is_complete_success(&self) -> bool {
        self.outcomes
            .iter()
            .all(|o| matches!(o, ItemOutcome::Succeeded(_)))
    }

    /// The values in input order when every input succeeded; otherwise the whole result as
    /// an error.
    pub fn into_result(self) -> std::result::Result<Vec<T>, BulkError<I, T>> {
        if !self.is_complete_success() {
            return Err(BulkError {
                result: Box::new(self),
            });
        }
        Ok(self
            .outcomes
            .into_iter()
            .filter_map(|o| match o {
                ItemOutcome::Succeeded(value) => Some(value),
                ItemOutcome::Failed(_) => None,
            })
            .collect())
    }
}

/// A bulk operation in which some inputs failed; holds the full [`BulkResult`].
#[derive(Clone, Debug)]
pub struct BulkError<I, T = Record> {
    /// Every outcome, successes included.
    pub result: Box<BulkResult<I, T>>,
}

impl<I, T> fmt::Display for BulkError<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.result.outcomes.len();
        let failed = self.result.failed().count();
        write!(f, "{failed} of {total} bulk inputs failed")?;
        if let Some(first) = self.result.failed().next() {
            write!(f, "; first: {first}")?;
        }
        Ok(())
    }
}

impl<I: fmt::Debug, T: fmt::Debug> std::error::Error for BulkError<I, T> {}

/// Bulk operations with chosen [`BulkOptions`]; from [`Objects::bulk`].
#[derive(Debug)]
pub struct Bulk<'a, O> {
    objects: &'a Objects<O>,
    options: BulkOptions,
}

impl<O: CrmObject> Objects<O> {
    /// Bulk operations with other options than the defaults.
    ///
    /// ```no_run
    /// # async fn run(client: hubspot_crm::Client, ids: Vec<String>) -> hubspot_crm::Result<()> {
    /// use hubspot_crm::{BulkOptions, Lead};
    /// let archived = client
    ///     .objects::<Lead>()
    ///     .bulk(BulkOptions::new().concurrency(2))
    ///     .archive(ids)
    ///     .await?;
    /// println!("{} archived", archived.succeeded().count());
    /// # Ok(()) }
    /// ```
    pub fn bulk(&self, options: BulkOptions) -> Bulk<'_, O> {
        Bulk {
            objects: self,
            options,
        }
    }

    /// Reads any number of records by id (or by `options.id_property`), 100 per request (50
    /// with `properties_with_history`, HubSpot's cap for it).
    ///
    /// Missing records come back as [`ItemOutcome::Failed`] with HubSpot's error. Fails before
    /// sending anything if an id is invalid or repeated, or an option is malformed.
    pub async fn read_many<S: Into<String>>(
        &self,
        ids: impl IntoIterator<Item = S>,
        options: &ReadOptions,
    ) -> Result<BulkResult<String>> {
        self.bulk(BulkOptions::default()).read(ids, options).await
    }

    /// Creates any number of records, 100 per request, every input checked before anything is
    /// sent.
    ///
    /// ```no_run
    /// # async fn run(client: hubspot_crm::Client, contact_id: String) -> hubspot_crm::Result<()> {
    /// use hubspot_crm::{AssociationType, NewRecord};
    /// let inputs: Vec<NewRecord> = (0..1_000)
    ///     .map(|i| {
    ///         NewRecord::new()
    ///             .property("hs_lead_name", format!("Lead {i}"))
    ///             .associate(contact_id.clone(), AssociationType::hubspot(578))
    ///     })
    ///     .collect();
    /// let result = client.leads().create_many(inputs).await?;
    /// for failure in result.failed() {
    ///     eprintln!("{failure}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn create_many(&self, inputs: Vec<NewRecord>) -> Result<BulkResult<NewRecord>> {
        self.bulk(BulkOptions::default()).create(inputs).await
    }

    /// Updates any number of records, 100 per request.
    pub async fn update_many(
        &self,
        updates: Vec<RecordUpdate>,
    ) -> Result<BulkResult<RecordUpdate>> {
        self.bulk(BulkOptions::default()).update(updates).await
    }

    /// Creates or updates any number of records by a unique property, 100 per request.
    pub async fn upsert_many(
        &self,
        updates: Vec<RecordUpdate>,
    ) -> Result<BulkResult<RecordUpdate>> {
        self.bulk(BulkOptions::default()).upsert(updates).await
    }

    /// Moves any number of records to the recycling bin, 100 per request. HubSpot reports no
    /// per-record outcome: every id of an accepted request is reported archived.
    pub async fn archive_many<S: Into<String>>(
        &self,
        ids: impl IntoIterator<Item = S>,
    ) -> Result<BulkResult<String, String>> {
        self.bulk(BulkOptions::default()).archive(ids).await
    }
}

impl<O: CrmObject> Bulk<'_, O> {
    /// See [`Objects::read_many`].
    pub async fn read<S: Into<String>>(
        &self,
        ids: impl IntoIterator<Item = S>,
        options: &ReadOptions,
    ) -> Result<BulkResult<String>> {
        self.options.validate()?;
        self.objects.check_type()?;
        let ids: Vec<String> = ids.into_iter().map(Into::into).collect();
        let mut options = options.clone();
        if !options.associations.is_empty() {
            return Err(ValidationError::new(
                "associations",
                "HubSpot's batch read returns no associations; read records one by one to get them",
            )
            .into());
        }
        read_options(&options, true)?;
        let id_property = options.id_property.clone();
        if let Some(property) = &id_property {
            // Results name records by id; the property's value is what ties them to inputs.
            if options.properties.is_empty() && !options.all_properties {
                return Err(ValidationError::new(
                    "properties",
                    format!(
                        "list the properties to read (`{property}` included) when reading by idProperty, so that each result can be tied to its input"
                    ),
                )
                .into());
            }
            if !options.properties.contains(property) {
                options.properties.push(property.clone());
            }
        }
        let mut seen = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            validate_address(id, id_property.as_deref()).map_err(|e| e.at_item(i))?;
            check_unique(&mut seen, address_key(id, id_property.as_deref()), i, "id")?;
        }
        let id_properties: Vec<String> = id_property.iter().cloned().collect();
        let chunk_size = if options.properties_with_history.is_empty() {
            MAX_BATCH_INPUTS
        } else {
            MAX_BATCH_READ_WITH_HISTORY
        };
        let objects = self.objects;
        let options = &options;
        let id_properties = &id_properties;
        Ok(run_chunks(
            ids,
            chunk_size,
            self.options.concurrency,
            |start, chunk| async move {
                let keys = chunk
                    .iter()
                    .map(|id| vec![address_key(id, options.id_property.as_deref())])
                    .collect();
                let answer = objects.send_batch_read(chunk.clone(), options).await;
                settle(
                    start,
                    chunk,
                    keys,
                    id_properties,
                    objects.object_type(),
                    answer,
                )
            },
        )
        .await)
    }

    /// See [`Objects::create_many`].
    pub async fn create(&self, mut inputs: Vec<NewRecord>) -> Result<BulkResult<NewRecord>> {
        self.options.validate()?;
        self.objects.check_type()?;
        let mut traces = HashMap::new();
        for (i, input) in inputs.iter().enumerate() {
            validate_new_common(input)
                .and_then(|()| O::validate_new(input))
                .map_err(|e| e.at_item(i))?;
            if let Some(trace) = &input.object_write_trace_id {
                if trace.trim().is_empty() {
                    return Err(
                        ValidationError::new("objectWriteTraceId", "must not be blank")
                            .at_item(i)
                            .into(),
                    );
                }
                check_unique(
                    &mut traces,
                    TieKey::Trace(trace.clone()),
                    i,
                    "objectWriteTraceId",
                )?;
            }
        }
        // A trace id per input is what lets HubSpot's answer be tied back to it.
        for input in &mut inputs {
            if input.object_write_trace_id.is_none() {
                let trace = loop {
                    let candidate = uuid::Uuid::new_v4().to_string();
                    if !traces.contains_key(&TieKey::Trace(candidate.clone())) {
                        break candidate;
                    }
                };
                traces.insert(TieKey::Trace(trace.clone()), usize::MAX);
                input.object_write_trace_id = Some(trace);
            }
        }
        let objects = self.objects;
        Ok(run_chunks(
            inputs,
            MAX_BATCH_INPUTS,
            self.options.concurrency,
            |start, chunk| async move {
                let keys = chunk.iter().map(create_keys).collect();
                let answer = objects.send_batch_create(chunk.clone()).await;
                settle(start, chunk, keys, &[], objects.object_type(), answer)
            },
        )
        .await)
    }

    /// See [`Objects::update_many`].
    pub async fn update(&self, updates: Vec<RecordUpdate>) -> Result<BulkResult<RecordUpdate>> {
        self.write_by_id(updates, |objects, chunk| {
            Box::pin(objects.send_batch_update(chunk))
        })
        .await
    }

    /// See [`Objects::upsert_many`].
    pub async fn upsert(&self, updates: Vec<RecordUpdate>) -> Result<BulkResult<RecordUpdate>> {
        for (i, update) in updates.iter().enumerate() {
            if update.id_property.is_none() {
                return Err(ValidationError::new(
                    "idProperty",
                    "an upsert addresses records by a unique property; set `id_property`",
                )
                .at_item(i)
                .into());
            }
        }
        self.write_by_id(updates, |objects, chunk| {
            Box::pin(objects.send_batch_upsert(chunk))
        })
        .await
    }

    /// Updates or upserts, tied back to their inputs by id (or `idProperty` value).
    async fn write_by_id(
        &self,
        updates: Vec<RecordUpdate>,
        send: for<'c> fn(&'c Objects<O>, Vec<RecordUpdate>) -> BoxFuture<'c, Result<BatchResponse>>,
    ) -> Result<BulkResult<RecordUpdate>> {
        let id_properties = self.validate_updates(&updates)?;
        let objects = self.objects;
        let id_properties = &id_properties;
        Ok(run_chunks(
            updates,
            MAX_BATCH_INPUTS,
            self.options.concurrency,
            |start, chunk| async move {
                let keys = chunk.iter().map(update_keys).collect();
                let answer = send(objects, chunk.clone()).await;
                settle(
                    start,
                    chunk,
                    keys,
                    id_properties,
                    objects.object_type(),
                    answer,
                )
            },
        )
        .await)
    }

    /// See [`Objects::archive_many`].
    pub async fn archive<S: Into<String>>(
        &self,
        ids: impl IntoIterator<Item = S>,
    ) -> Result<BulkResult<String, String>> {
        self.options.validate()?;
        self.objects.check_type()?;
        let ids: Vec<String> = ids.into_iter().map(Into::into).collect();
        let mut seen = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            validate_record_id("id", id).map_err(|e| e.at_item(i))?;
            check_unique(&mut seen, TieKey::Id(id.clone()), i, "id")?;
        }
        let objects = self.objects;
        Ok(run_chunks(
            ids,
            MAX_BATCH_INPUTS,
            self.options.concurrency,
            |start, chunk| async move {
                let outcomes = match objects.send_batch_archive(chunk.clone()).await {
                    // A 204 carries no per-record detail: the request as a whole is the confirmation.
                    Ok(()) => chunk.into_iter().map(ItemOutcome::Succeeded).collect(),
                    Err(error) => fail_all(start, chunk, objects.object_type(), error),
                };
                BulkResult {
                    outcomes,
                    ..BulkResult::empty()
                }
            },
        )
        .await)
    }

    /// Checks updates and upserts; returns the id properties in use.
    fn validate_updates(
        &self,
        updates: &[RecordUpdate],
    ) -> std::result::Result<Vec<String>, ValidationError> {
        self.options.validate()?;
        self.objects.check_type()?;
        let mut seen = HashMap::new();
        let mut traces = HashMap::new();
        let mut id_properties = Vec::new();
        for (i, update) in updates.iter().enumerate() {
            validate_address(&update.id, update.id_property.as_deref())
                .map_err(|e| e.at_item(i))?;
            if update.properties.is_empty() {
                return Err(ValidationError::new("properties", "nothing to update").at_item(i));
            }
            property_map_names(&update.properties).map_err(|e| e.at_item(i))?;
            if update
                .object_write_trace_id
                .as_ref()
                .is_some_and(|trace| trace.trim().is_empty())
            {
                return Err(
                    ValidationError::new("objectWriteTraceId", "must not be blank").at_item(i),
                );
            }
            check_unique(
                &mut seen,
                address_key(&update.id, update.id_property.as_deref()),
                i,
                "id",
            )?;
            if let Some(trace) = &update.object_write_trace_id {
                check_unique(
                    &mut traces,
                    TieKey::Trace(trace.clone()),
                    i,
                    "objectWriteTraceId",
                )?;
            }
            if let Some(property) = &update.id_property
                && !id_properties.contains(property)
            {
                id_properties.push(property.clone());
            }
        }
        Ok(id_properties)
    }
}

/// What ties an answer to an input.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum TieKey {
    /// An `objectWriteTraceId`.
    Trace(String),
    /// A record id.
    Id(String),
    /// A unique property's value; compared without case, as HubSpot does for emails.
    Unique { property: String, value: String },
}

fn address_key(id: &str, id_property: Option<&str>) -> TieKey {
    match id_property {
        Some(property) => TieKey::Unique {
            property: property.to_owned(),
            value: id.to_lowercase(),
        },
        None => TieKey::Id(id.to_owned()),
    }
}

fn create_keys(input: &NewRecord) -> Vec<TieKey> {
    input
        .object_write_trace_id
        .iter()
        .map(|trace| TieKey::Trace(trace.clone()))
        .collect()
}

fn update_keys(update: &RecordUpdate) -> Vec<TieKey> {
    let mut keys = vec![address_key(&update.id, update.id_property.as_deref())];
    if let Some(trace) = &update.object_write_trace_id {
        keys.push(TieKey::Trace(trace.clone()));
    }
    keys
}

/// Rejects a key already used by an earlier input, naming both positions.
fn check_unique(
    seen: &mut HashMap<TieKey, usize>,
    key: TieKey,
    index: usize,
    field: &str,
) -> std::result::Result<(), ValidationError> {
    if let Some(first) = seen.get(&key) {
        let value = match &key {
            TieKey::Trace(v) | TieKey::Id(v) => v.clone(),
            TieKey::Unique { property, value } => format!("{property}={value}"),
        };
        return Err(ValidationError::new(
            field,
            format!(
                "`{value}` is also item {first}'s; each input must be distinct so that HubSpot's answer can be tied back to it"
            ),
        )
        .at_item(index));
    }
    seen.insert(key, index);
    Ok(())
}

/// Splits `inputs` into requests of at most `chunk_size`, runs at most `concurrency` at a
/// time, and joins their outcomes in input order. Every check is made before: nothing here
/// can reject an input.
async fn run_chunks<I, T, F, Fut>(
    inputs: Vec<I>,
    chunk_size: usize,
    concurrency: usize,
    send: F,
) -> BulkResult<I, T>
where
    F: FnMut(usize, Vec<I>) -> Fut,
    Fut: Future<Output = BulkResult<I, T>>,
{
    let total = inputs.len();
    let chunk_size = chunk_size.max(1);
    let mut chunks = Vec::with_capacity(total.div_ceil(chunk_size));
    let mut rest = inputs.into_iter();
    let mut start = 0;
    loop {
        let chunk: Vec<I> = rest.by_ref().take(chunk_size).collect();
        if chunk.is_empty() {
            break;
        }
        let len = chunk.len();
        chunks.push((start, chunk));
        start += len;
    }
    let mut send = send;
    // `buffered` keeps chunk order, so outcomes concatenate into input order.
    let mut answers =
        futures::stream::iter(chunks.into_iter().map(|(start, chunk)| send(start, chunk)))
            .buffered(concurrency.max(1));
    let mut result = BulkResult::empty();
    result.outcomes.reserve(total);
    while let Some(part) = answers.next().await {
        result.outcomes.extend(part.outcomes);
        result.unmatched_results.extend(part.unmatched_results);
        result.unmatched_errors.extend(part.unmatched_errors);
    }
    result
}

fn fail_all<I, T>(
    start: usize,
    chunk: Vec<I>,
    object_type: &str,
    error: Error,
) -> Vec<ItemOutcome<I, T>> {
    // The request's own span names its generated operation; this names the bulk call's inputs.
    tracing::warn!(object_type, first_item = start, items = chunk.len(), error = %error, "batch request failed");
    let error = Arc::new(error);
    chunk
        .into_iter()
        .enumerate()
        .map(|(offset, input)| {
            ItemOutcome::Failed(ItemError {
                index: start + offset,
                input,
                cause: FailureCause::RequestFailed(error.clone()),
            })
        })
        .collect()
}

#[derive(Default)]
struct Slot {
    result: Option<Record>,
    error: Option<Arc<BatchItemError>>,
}

impl Slot {
    fn is_open(&self) -> bool {
        self.result.is_none() && self.error.is_none()
    }
}

/// Ties one batch answer to the inputs of its request.
fn settle<I>(
    start: usize,
    chunk: Vec<I>,
    keys: Vec<Vec<TieKey>>,
    id_properties: &[String],
    object_type: &str,
    answer: Result<BatchResponse>,
) -> BulkResult<I> {
    let response = match answer {
        Ok(response) => response,
        Err(error) => {
            return BulkResult {
                outcomes: fail_all(start, chunk, object_type, error),
                ..BulkResult::empty()
            };
        }
    };
    // Key -> position; a key claimed by two inputs (impossible after validation) ties nothing.
    let mut index: HashMap<TieKey, Option<usize>> = HashMap::new();
    for (position, input_keys) in keys.into_iter().enumerate() {
        for key in input_keys {
            index
                .entry(key)
                .and_modify(|p| *p = None)
                .or_insert(Some(position));
        }
    }
    let positions_of = |candidates: Vec<TieKey>| -> HashSet<usize> {
        candidates
            .iter()
            .filter_map(|key| index.get(key).copied().flatten())
            .collect()
    };
    let mut slots: Vec<Slot> = chunk.iter().map(|_| Slot::default()).collect();
    let mut unmatched_results = Vec::new();
    let mut unmatched_errors = Vec::new();
    // Results and errors that named no input at all (as opposed to naming several).
    let mut nameless_results = Vec::new();
    let mut nameless_errors = Vec::new();

    for error in response.errors {
        let error = Arc::new(error);
        let positions = positions_of(error_keys(&error, id_properties));
        if positions.is_empty() {
            nameless_errors.push(error);
            continue;
        }
        let mut attached = false;
        for position in positions {
            if let Some(slot) = slots.get_mut(position)
                && slot.error.is_none()
            {
                slot.error = Some(error.clone());
                attached = true;
            }
        }
        if !attached {
            unmatched_errors.push(error);
        }
    }
    for record in response.results {
        let positions = positions_of(result_keys(&record, id_properties));
        let mut only = positions.iter().copied();
        match (only.next(), only.next()) {
            (Some(position), None) => match slots.get_mut(position) {
                Some(slot) if slot.result.is_none() => slot.result = Some(record),
                _ => unmatched_results.push(record),
            },
            (None, _) => nameless_results.push(record),
            (Some(_), Some(_)) => unmatched_results.push(record),
        }
    }
    // One open input and one answer naming nothing, in an answer otherwise in order: the
    // answer can only be that input's (e.g. a record returned under the id it was merged into).
    let open: Vec<usize> = (0..slots.len()).filter(|&p| slots[p].is_open()).collect();
    if let [position] = open[..]
        && unmatched_results.is_empty()
        && unmatched_errors.is_empty()
    {
        if nameless_results.len() == 1 && nameless_errors.is_empty() {
            slots[position].result = nameless_results.pop();
        } else if nameless_errors.len() == 1 && nameless_results.is_empty() {
            slots[position].error = nameless_errors.pop();
        }
    }
    unmatched_results.append(&mut nameless_results);
    unmatched_errors.append(&mut nameless_errors);

    let mut not_confirmed = 0;
    let outcomes = chunk
        .into_iter()
        .zip(slots)
        .enumerate()
        .map(|(offset, (input, slot))| {
            let failed = |cause| {
                ItemOutcome::Failed(ItemError {
                    index: start + offset,
                    input,
                    cause,
                })
            };
            match slot {
                Slot {
                    error: Some(error),
                    result,
                } => {
                    // HubSpot both confirmed and rejected it: report the rejection, keep the record.
                    unmatched_results.extend(result);
                    failed(FailureCause::Rejected(error))
                }
                Slot {
                    result: Some(record),
                    error: None,
                } => ItemOutcome::Succeeded(record),
                Slot {
                    result: None,
                    error: None,
                } => {
                    not_confirmed += 1;
                    failed(FailureCause::NotConfirmed {
                        unattributed_errors: unmatched_errors.clone(),
                    })
                }
            }
        })
        .collect();
    if not_confirmed > 0 || !unmatched_results.is_empty() || !unmatched_errors.is_empty() {
        tracing::warn!(
            object_type,
            first_item = start,
            not_confirmed,
            unmatched_results = unmatched_results.len(),
            unmatched_errors = unmatched_errors.len(),
            "batch answer did not account for every input"
        );
    }
    BulkResult {
        outcomes,
        unmatched_results,
        unmatched_errors,
    }
}

fn result_keys(record: &Record, id_properties: &[String]) -> Vec<TieKey> {
    let mut keys = vec![TieKey::Id(record.id.clone())];
    if let Some(trace) = &record.object_write_trace_id {
        keys.push(TieKey::Trace(trace.clone()));
    }
    for property in id_properties {
        if let Some(value) = record.property(property) {
            keys.push(TieKey::Unique {
                property: property.clone(),
                value: value.to_lowercase(),
            });
        }
    }
    keys
}

fn error_keys(error: &BatchItemError, id_properties: &[String]) -> Vec<TieKey> {
    let mut keys = Vec::new();
    for trace in error
        .context
        .get("objectWriteTraceId")
        .into_iter()
        .flatten()
    {
        keys.push(TieKey::Trace(trace.clone()));
    }
    for id in error.context.get("ids").into_iter().flatten() {
        keys.push(TieKey::Id(id.clone()));
        for property in id_properties {
            keys.push(TieKey::Unique {
                property: property.clone(),
                value: id.to_lowercase(),
            });
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, trace: Option<&str>) -> Record {
        let object: hubspot_crm_api::shared::SimplePublicObject =
            serde_json::from_value(serde_json::json!({
                "id": id,
                "properties": {},
                "createdAt": "2026-01-01T00:00:00Z",
                "updatedAt": "2026-01-01T00:00:00Z",
                "archived": false,
                "objectWriteTraceId": trace,
            }))
            .unwrap();
        Record::from(object)
    }

    fn ids(list: &[&str]) -> (Vec<String>, Vec<Vec<TieKey>>) {
        let ids: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        let keys = ids.iter().map(|id| vec![TieKey::Id(id.clone())]).collect();
        (ids, keys)
    }

    fn response(results: Vec<Record>, errors: Vec<BatchItemError>) -> Result<BatchResponse> {
        Ok(BatchResponse { results, errors })
    }

    #[test]
    fn a_result_for_two_inputs_or_twice_for_one_is_never_counted_twice() {
        let (chunk, keys) = ids(&["1", "2", "3"]);
        let answer = response(
            vec![
                record("1", None),
                record("1", None),
                record("99", None),
                record("2", None),
            ],
            vec![],
        );
        let result = settle(10, chunk, keys, &[], "leads", answer);
        assert_eq!(result.outcomes.len(), 3);
        assert_eq!(result.outcomes[0].succeeded().unwrap().id, "1");
        assert_eq!(result.outcomes[1].succeeded().unwrap().id, "2");
        // Input 3 is open but two answers could be its: neither the extra "1" nor "99" is
        // guessed to be it.
        let third = result.outcomes[2].failed().unwrap();
        assert_eq!(third.index, 12);
        assert!(matches!(third.cause, FailureCause::NotConfirmed { .. }));
        let unmatched: Vec<&str> = result
            .unmatched_results
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(unmatched, ["1", "99"]);
    }

    #[test]
    fn the_last_open_input_takes_the_only_nameless_answer() {
        let (chunk, keys) = ids(&["1", "2"]);
        let answer = response(vec![record("1", None), record("77", None)], vec![]);
        let result = settle(0, chunk, keys, &[], "leads", answer);
        assert!(result.is_complete_success());
        assert_eq!(result.outcomes[1].succeeded().unwrap().id, "77");
        assert!(result.unmatched_results.is_empty());
    }

    #[test]
    fn a_rejection_wins_over_a_confirmation_and_the_record_is_kept() {
        let (chunk, keys) = ids(&["5"]);
        let error = BatchItemError {
            category: Some("VALIDATION_ERROR".into()),
            context: [("ids".to_owned(), vec!["5".to_owned()])].into(),
            ..Default::default()
        };
        let answer = response(vec![record("5", None)], vec![error]);
        let result = settle(0, chunk, keys, &[], "leads", answer);
        assert!(matches!(
            result.outcomes[0].failed().unwrap().cause,
            FailureCause::Rejected(_)
        ));
        assert_eq!(result.unmatched_results.len(), 1);
    }

    #[test]
    fn duplicate_keys_name_both_items() {
        let mut seen = HashMap::new();
        check_unique(&mut seen, TieKey::Id("7".into()), 2, "id").unwrap();
        let e = check_unique(&mut seen, TieKey::Id("7".into()), 9, "id").unwrap_err();
        assert_eq!(e.item, Some(9));
        assert!(e.reason.contains("item 2"), "{}", e.reason);
    }
}
