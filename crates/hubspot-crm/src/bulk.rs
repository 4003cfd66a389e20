//! Bulk operations of any size: inputs are checked first, split into requests HubSpot accepts,
//! sent a few at a time, and every input comes back accounted for, in input order.
//!
//! HubSpot answers a batch with results and, on a partial failure (HTTP 207), errors. Neither
//! list is in input order, so each answer is tied back to its input: creates by a unique
//! `objectWriteTraceId` per input, the others by record id (or `idProperty` value). An input
//! that HubSpot neither confirmed nor rejected is reported failed, never as done.
//!
//! HubSpot also refuses whole batches: one refused value (400) or one taken unique value (409)
//! and nothing of the batch is written. Such a batch is sent again in halves, down to single
//! inputs, so every valid input is written and every refused one gets HubSpot's own error.

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
    /// Whether a batch write HubSpot refuses whole, applying nothing (a 400
    /// `VALIDATION_ERROR`, a 409 `CONFLICT`), is sent again in halves down to single inputs,
    /// so that the valid inputs are written and each refused one fails with HubSpot's own
    /// error ([`FailureCause::Rejected`]). For k refused inputs among a request's n this costs
    /// at most `1 + 2·k·⌈log2 n⌉` requests (15 for one in 100), each through the rate
    /// limiter. Default `true`; `false` fails the request's inputs with its error.
    /// Server errors, timeouts and lost answers are never resent this way.
    pub split_refused: bool,
    /// What becomes of inputs that fail the client's own checks. Default
    /// [`InvalidInputs::FailCall`].
    pub invalid_inputs: InvalidInputs,
}

impl Default for BulkOptions {
    fn default() -> Self {
        BulkOptions {
            concurrency: DEFAULT_CONCURRENCY,
            split_refused: true,
            invalid_inputs: InvalidInputs::FailCall,
        }
    }
}

/// What a bulk operation does with inputs that fail the client's own checks (a missing
/// required property, a malformed id, a repeated input).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidInputs {
    /// The call fails with [`Error::Validation`] naming the first such input, before its
    /// first request.
    #[default]
    FailCall,
    /// Each such input ends [`FailureCause::Invalid`], unsent, and the others are sent: a
    /// sync of 20,000 rows with one bad email writes the other 19,999.
    Reject,
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

    /// See [`Self::split_refused`](field@Self::split_refused).
    pub fn split_refused(mut self, split: bool) -> Self {
        self.split_refused = split;
        self
    }

    /// See [`Self::invalid_inputs`](field@Self::invalid_inputs).
    ///
    /// ```no_run
    /// # async fn run(client: hubspot_crm::Client, rows: Vec<hubspot_crm::RecordUpdate>) -> hubspot_crm::Result<()> {
    /// use hubspot_crm::{BulkOptions, Contact, FailureCause, InvalidInputs};
    /// let result = client
    ///     .objects::<Contact>()
    ///     .bulk(BulkOptions::new().invalid_inputs(InvalidInputs::Reject))
    ///     .update(rows)
    ///     .await?;
    /// for failure in result.failed() {
    ///     if let FailureCause::Invalid(error) = &failure.cause {
    ///         eprintln!("item {} not sent: {error}", failure.index);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn invalid_inputs(mut self, invalid: InvalidInputs) -> Self {
        self.invalid_inputs = invalid;
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
            FailureCause::Rejected(_) | FailureCause::Invalid(_) => false,
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
    /// The input failed the client's own checks and was not sent
    /// ([`InvalidInputs::Reject`]).
    Invalid(ValidationError),
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
            FailureCause::Invalid(error) => write!(f, "not sent: {error}"),
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
        let options = &batch_read_options(options)?;
        let id_property = options.id_property.as_deref();
        let mut seen = HashMap::new();
        let (ids, done) = screen(ids, self.options.invalid_inputs, |i, id| {
            validate_address(id, id_property)?;
            check_unique(&mut seen, address_key(id, id_property), i, "id")
        })?;
        let id_properties: Vec<String> = id_property.iter().map(|p| (*p).to_owned()).collect();
        let chunk_size = if options.properties_with_history.is_empty() {
            MAX_BATCH_INPUTS
        } else {
            MAX_BATCH_READ_WITH_HISTORY
        };
        let objects = self.objects;
        let batches = Batches {
            object_type: objects.object_type(),
            id_properties: &id_properties,
            keys: Box::new(move |id: &String| vec![address_key(id, id_property)]),
            send: Box::new(move |chunk| Box::pin(objects.send_batch_read(chunk, options))),
            // A refused read wrote nothing and halves would be refused alike.
            split_refused: false,
            locate: None,
        };
        Ok(self.run(ids, chunk_size, done, &batches).await)
    }

    /// See [`Objects::create_many`].
    pub async fn create(&self, inputs: Vec<NewRecord>) -> Result<BulkResult<NewRecord>> {
        self.create_locating(inputs, None).await
    }

    /// Creates; `locate` tells which input a whole-batch 409 is about, so that the rest of
    /// its request can go on without splitting.
    pub(crate) async fn create_locating(
        &self,
        inputs: Vec<NewRecord>,
        locate: Option<&dyn ConflictLocator<NewRecord>>,
    ) -> Result<BulkResult<NewRecord>> {
        self.options.validate()?;
        self.objects.check_type()?;
        let mut traces = HashMap::new();
        let (mut inputs, done) = screen(inputs, self.options.invalid_inputs, |i, input| {
            validate_new_common(input).and_then(|()| O::validate_new(input))?;
            check_trace(&mut traces, input.object_write_trace_id.as_deref(), i)
        })?;
        // A trace id per input is what lets HubSpot's answer be tied back to it.
        fill_traces(
            &mut traces,
            inputs
                .iter_mut()
                .map(|(_, input)| &mut input.object_write_trace_id),
        );
        let objects = self.objects;
        let batches = Batches {
            object_type: objects.object_type(),
            id_properties: &[],
            keys: Box::new(create_keys),
            send: Box::new(move |chunk| Box::pin(objects.send_batch_create(chunk))),
            split_refused: self.options.split_refused,
            locate,
        };
        Ok(self.run(inputs, MAX_BATCH_INPUTS, done, &batches).await)
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
        // Not an input's fault but the call's: an upsert is by a unique property throughout.
        if let Some(i) = updates.iter().position(|u| u.id_property.is_none()) {
            return Err(ValidationError::new(
                "idProperty",
                "an upsert addresses records by a unique property; set `id_property`",
            )
            .at_item(i)
            .into());
        }
        self.write_by_id(updates, |objects, chunk| {
            Box::pin(objects.send_batch_upsert(chunk))
        })
        .await
    }

    /// Updates or upserts, tied back to their inputs by id (or `idProperty` value) and by the
    /// trace id each carries.
    async fn write_by_id(
        &self,
        updates: Vec<RecordUpdate>,
        send: for<'c> fn(&'c Objects<O>, Vec<RecordUpdate>) -> BoxFuture<'c, Result<BatchResponse>>,
    ) -> Result<BulkResult<RecordUpdate>> {
        self.options.validate()?;
        self.objects.check_type()?;
        let ScreenedUpdates {
            mut updates,
            done,
            id_properties,
            mut traces,
        } = self.screen_updates(updates)?;
        fill_traces(
            &mut traces,
            updates
                .iter_mut()
                .map(|(_, u)| &mut u.object_write_trace_id),
        );
        let objects = self.objects;
        let batches = Batches {
            object_type: objects.object_type(),
            id_properties: &id_properties,
            keys: Box::new(update_keys),
            send: Box::new(move |chunk| send(objects, chunk)),
            split_refused: self.options.split_refused,
            locate: None,
        };
        Ok(self.run(updates, MAX_BATCH_INPUTS, done, &batches).await)
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
        let (ids, mut done) = screen(ids, self.options.invalid_inputs, |i, id| {
            validate_record_id("id", id)?;
            check_unique(&mut seen, TieKey::Id(id.clone()), i, "id")
        })?;
        let objects = self.objects;
        let sent = run_chunks(
            ids,
            MAX_BATCH_INPUTS,
            self.options.concurrency,
            |chunk| async move {
                match objects.send_batch_archive(chunk.inputs.clone()).await {
                    // A 204 carries no per-record detail: the request as a whole is the confirmation.
                    Ok(()) => Outcomes::succeeded(chunk.indexes.into_iter().zip(chunk.inputs)),
                    Err(error) => fail_all(chunk, objects.object_type(), error),
                }
            },
        )
        .await;
        done.append(sent);
        Ok(done.into_result())
    }

    /// Sends `inputs` in requests of at most `chunk_size` and joins their outcomes with
    /// those decided before sending.
    async fn run<I: Clone + Send + Sync>(
        &self,
        inputs: Vec<(usize, I)>,
        chunk_size: usize,
        mut done: Outcomes<I>,
        batches: &Batches<'_, I>,
    ) -> BulkResult<I> {
        let sent = run_chunks(inputs, chunk_size, self.options.concurrency, |chunk| {
            batches.send(chunk)
        })
        .await;
        done.append(sent);
        done.into_result()
    }

    /// Checks updates and upserts.
    fn screen_updates(
        &self,
        updates: Vec<RecordUpdate>,
    ) -> std::result::Result<ScreenedUpdates, ValidationError> {
        let mut seen = HashMap::new();
        let mut traces = HashMap::new();
        let mut id_properties = Vec::new();
        let (updates, done) = screen(updates, self.options.invalid_inputs, |i, update| {
            validate_address(&update.id, update.id_property.as_deref())?;
            if update.properties.is_empty() {
                return Err(ValidationError::new("properties", "nothing to update"));
            }
            property_map_names(&update.properties)?;
            check_trace(&mut traces, update.object_write_trace_id.as_deref(), i)?;
            check_unique(
                &mut seen,
                address_key(&update.id, update.id_property.as_deref()),
                i,
                "id",
            )
        })?;
        for (_, update) in &updates {
            if let Some(property) = &update.id_property
                && !id_properties.contains(property)
            {
                id_properties.push(property.clone());
            }
        }
        Ok(ScreenedUpdates {
            updates,
            done,
            id_properties,
            traces,
        })
    }
}

/// Updates or upserts after the client's checks.
struct ScreenedUpdates {
    /// To send, with their positions.
    updates: Vec<(usize, RecordUpdate)>,
    /// Rejected unsent.
    done: Outcomes<RecordUpdate>,
    /// The `idProperty`s in use.
    id_properties: Vec<String>,
    /// The trace ids taken.
    traces: HashMap<TieKey, usize>,
}

/// The read options of a batch read, checked: a batch read returns no associations, and one
/// by `idProperty` must read that property to tie results to inputs.
fn batch_read_options(options: &ReadOptions) -> std::result::Result<ReadOptions, ValidationError> {
    let mut options = options.clone();
    if !options.associations.is_empty() {
        return Err(ValidationError::new(
            "associations",
            "HubSpot's batch read returns no associations; read records one by one to get them",
        ));
    }
    read_options(&options, true)?;
    if let Some(property) = options.id_property.clone() {
        // Results name records by id; the property's value is what ties them to inputs.
        if options.properties.is_empty() && !options.all_properties {
            return Err(ValidationError::new(
                "properties",
                format!(
                    "list the properties to read (`{property}` included) when reading by idProperty, so that each result can be tied to its input"
                ),
            ));
        }
        if !options.properties.contains(&property) {
            options.properties.push(property);
        }
    }
    Ok(options)
}

/// Checks an input's own `objectWriteTraceId`, if it has one: not blank, and no other
/// input's.
fn check_trace(
    traces: &mut HashMap<TieKey, usize>,
    trace: Option<&str>,
    index: usize,
) -> std::result::Result<(), ValidationError> {
    let Some(trace) = trace else {
        return Ok(());
    };
    if trace.trim().is_empty() {
        return Err(ValidationError::new(
            "objectWriteTraceId",
            "must not be blank",
        ));
    }
    check_unique(
        traces,
        TieKey::Trace(trace.to_owned()),
        index,
        "objectWriteTraceId",
    )
}

/// Gives every input without a trace id one of its own, distinct from every other.
fn fill_traces<'t>(
    traces: &mut HashMap<TieKey, usize>,
    slots: impl Iterator<Item = &'t mut Option<String>>,
) {
    for slot in slots.filter(|slot| slot.is_none()) {
        let trace = loop {
            let candidate = TieKey::Trace(uuid::Uuid::new_v4().to_string());
            if !traces.contains_key(&candidate) {
                break candidate;
            }
        };
        if let TieKey::Trace(value) = &trace {
            *slot = Some(value.clone());
        }
        traces.insert(trace, usize::MAX);
    }
}

/// The inputs to send, with their positions, and the outcomes of those that failed the
/// client's checks.
type Screened<I, T> = (Vec<(usize, I)>, Outcomes<I, T>);

/// Ties an input to the answers that can name it.
type KeysOf<'a, I> = Box<dyn Fn(&I) -> Vec<TieKey> + Send + Sync + 'a>;

/// Sends one request's inputs.
type SendBatch<'a, I> =
    Box<dyn Fn(Vec<I>) -> BoxFuture<'a, Result<BatchResponse>> + Send + Sync + 'a>;

/// Runs the client's checks on every input, in order. With [`InvalidInputs::FailCall`] the
/// first failure fails the call; with [`InvalidInputs::Reject`] each failing input ends
/// [`FailureCause::Invalid`] and the rest are returned, with their positions, to be sent.
fn screen<I, T>(
    inputs: Vec<I>,
    invalid: InvalidInputs,
    mut check: impl FnMut(usize, &I) -> std::result::Result<(), ValidationError>,
) -> std::result::Result<Screened<I, T>, ValidationError> {
    let mut valid = Vec::with_capacity(inputs.len());
    let mut done = Outcomes::default();
    for (index, input) in inputs.into_iter().enumerate() {
        match check(index, &input).map_err(|e| e.at_item(index)) {
            Ok(()) => valid.push((index, input)),
            Err(error) if invalid == InvalidInputs::FailCall => return Err(error),
            Err(error) => done.outcomes.push((
                index,
                ItemOutcome::Failed(ItemError {
                    index,
                    input,
                    cause: FailureCause::Invalid(error),
                }),
            )),
        }
    }
    if !done.outcomes.is_empty() {
        tracing::warn!(
            rejected = done.outcomes.len(),
            sent = valid.len(),
            "bulk inputs failed the client's checks and are not sent"
        );
    }
    Ok((valid, done))
}

/// Which input of a request a whole-batch 409 is about, told from the record it names.
pub(crate) trait ConflictLocator<I>: Sync {
    /// The position among `inputs` of the one whose unique value record `existing_id`
    /// holds; `None` when it cannot be told.
    fn locate<'a>(&'a self, existing_id: &'a str, inputs: &'a [I]) -> BoxFuture<'a, Option<usize>>;
}

/// How one kind of batch request is sent and its answer tied back to its inputs.
struct Batches<'a, I> {
    object_type: &'a str,
    id_properties: &'a [String],
    keys: KeysOf<'a, I>,
    send: SendBatch<'a, I>,
    split_refused: bool,
    locate: Option<&'a dyn ConflictLocator<I>>,
}

impl<I: Clone + Send + Sync> Batches<'_, I> {
    /// Sends one request's inputs and ties the answer to them; a request HubSpot refuses
    /// whole goes on as [`Self::after_refusal`] says.
    fn send(&self, chunk: Chunk<I>) -> BoxFuture<'_, Outcomes<I>> {
        Box::pin(async move {
            match (self.send)(chunk.inputs.clone()).await {
                Err(Error::Api(api)) if self.split_refused && api.refused_whole() => {
                    self.after_refusal(chunk, *api).await
                }
                answer => {
                    let keys = chunk.inputs.iter().map(|i| (self.keys)(i)).collect();
                    settle(chunk, keys, self.id_properties, self.object_type, answer)
                }
            }
        })
    }

    /// A request refused whole applied nothing: a single input gets the refusal as its own
    /// error; a 409 whose record tells which input holds the value fails that one and sends
    /// the rest; otherwise the halves are sent, one after the other (the call's concurrency
    /// holds), down to single inputs.
    async fn after_refusal(&self, chunk: Chunk<I>, refusal: ApiError) -> Outcomes<I> {
        if chunk.len() == 1 {
            return rejected(chunk, refusal);
        }
        if let Some(position) = self.locate_conflict(&chunk, &refusal).await {
            let (one, rest) = chunk.take(position);
            tracing::info!(
                object_type = self.object_type,
                item = one.indexes[0],
                existing_id = refusal.existing_id(),
                "batch refused for a taken unique value; the rest is sent without the input holding it"
            );
            let mut outcomes = rejected(one, refusal);
            outcomes.append(self.send(rest).await);
            return outcomes;
        }
        tracing::info!(
            object_type = self.object_type,
            first_item = chunk.indexes[0],
            items = chunk.len(),
            status = refusal.status,
            category = refusal.category.as_deref(),
            "batch refused whole, nothing written; sending it again in halves"
        );
        let (left, right) = chunk.halves();
        let mut outcomes = self.send(left).await;
        outcomes.append(self.send(right).await);
        outcomes
    }

    async fn locate_conflict(&self, chunk: &Chunk<I>, refusal: &ApiError) -> Option<usize> {
        let locate = self.locate?;
        let existing = refusal.existing_id()?;
        locate
            .locate(existing, &chunk.inputs)
            .await
            .filter(|&p| p < chunk.len())
    }
}

/// Every input of `chunk` failed with HubSpot's refusal as its own error.
fn rejected<I, T>(chunk: Chunk<I>, refusal: ApiError) -> Outcomes<I, T> {
    let refusal = Arc::new(refusal);
    let mut outcomes = Outcomes::default();
    for (index, input) in chunk.indexes.into_iter().zip(chunk.inputs) {
        outcomes.outcomes.push((
            index,
            ItemOutcome::Failed(ItemError {
                index,
                input,
                cause: FailureCause::Rejected(refusal.clone()),
            }),
        ));
    }
    outcomes
}

/// What ties an answer to an input.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum TieKey {
    /// An `objectWriteTraceId`.
    Trace(String),
    /// A record id.
    Id(String),
    /// A unique property's value (see [`unique_key`]).
    Unique { property: String, value: String },
}

fn address_key(id: &str, id_property: Option<&str>) -> TieKey {
    match id_property {
        Some(property) => unique_key(property, id),
        None => TieKey::Id(id.to_owned()),
    }
}

/// HubSpot keeps unique values as sent, so `ABC` and `abc` are two records; only email
/// addresses are compared without case (HubSpot stores them in lower case).
fn unique_key(property: &str, value: &str) -> TieKey {
    let value = if property == "email" {
        value.to_lowercase()
    } else {
        value.to_owned()
    };
    TieKey::Unique {
        property: property.to_owned(),
        value,
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

/// The inputs of one request, with their positions in the caller's input.
struct Chunk<I> {
    indexes: Vec<usize>,
    inputs: Vec<I>,
}

impl<I> Chunk<I> {
    fn len(&self) -> usize {
        self.inputs.len()
    }

    /// The first half and the rest.
    fn halves(mut self) -> (Chunk<I>, Chunk<I>) {
        let at = self.len() / 2;
        let right = Chunk {
            indexes: self.indexes.split_off(at),
            inputs: self.inputs.split_off(at),
        };
        (self, right)
    }

    /// The input at `position` on its own, and the others.
    fn take(mut self, position: usize) -> (Chunk<I>, Chunk<I>) {
        let one = Chunk {
            indexes: vec![self.indexes.remove(position)],
            inputs: vec![self.inputs.remove(position)],
        };
        (one, self)
    }
}

/// Outcomes with their inputs' positions, gathered in any order.
struct Outcomes<I, T = Record> {
    outcomes: Vec<(usize, ItemOutcome<I, T>)>,
    unmatched_results: Vec<Record>,
    unmatched_errors: Vec<Arc<BatchItemError>>,
}

impl<I, T> Default for Outcomes<I, T> {
    fn default() -> Self {
        Outcomes {
            outcomes: Vec::new(),
            unmatched_results: Vec::new(),
            unmatched_errors: Vec::new(),
        }
    }
}

impl<I, T> Outcomes<I, T> {
    fn succeeded(values: impl Iterator<Item = (usize, T)>) -> Self {
        Outcomes {
            outcomes: values
                .map(|(index, value)| (index, ItemOutcome::Succeeded(value)))
                .collect(),
            ..Outcomes::default()
        }
    }

    fn append(&mut self, mut other: Outcomes<I, T>) {
        self.outcomes.append(&mut other.outcomes);
        self.unmatched_results.append(&mut other.unmatched_results);
        self.unmatched_errors.append(&mut other.unmatched_errors);
    }

    /// In input order.
    fn into_result(mut self) -> BulkResult<I, T> {
        self.outcomes.sort_by_key(|(index, _)| *index);
        BulkResult {
            outcomes: self.outcomes.into_iter().map(|(_, o)| o).collect(),
            unmatched_results: self.unmatched_results,
            unmatched_errors: self.unmatched_errors,
        }
    }
}

/// Splits `inputs` into requests of at most `chunk_size` and runs at most `concurrency` at a
/// time. Every check is made before: nothing here can reject an input.
async fn run_chunks<I, T, F, Fut>(
    inputs: Vec<(usize, I)>,
    chunk_size: usize,
    concurrency: usize,
    send: F,
) -> Outcomes<I, T>
where
    F: FnMut(Chunk<I>) -> Fut,
    Fut: Future<Output = Outcomes<I, T>>,
{
    let chunk_size = chunk_size.max(1);
    let mut chunks = Vec::with_capacity(inputs.len().div_ceil(chunk_size));
    let mut rest = inputs.into_iter().peekable();
    while rest.peek().is_some() {
        let (indexes, inputs) = rest.by_ref().take(chunk_size).unzip();
        chunks.push(Chunk { indexes, inputs });
    }
    let mut answers =
        futures::stream::iter(chunks.into_iter().map(send)).buffered(concurrency.max(1));
    let mut result = Outcomes::default();
    while let Some(part) = answers.next().await {
        result.append(part);
    }
    result
}

fn fail_all<I, T>(chunk: Chunk<I>, object_type: &str, error: Error) -> Outcomes<I, T> {
    // The request's own span names its generated operation; this names the bulk call's inputs.
    tracing::warn!(object_type, first_item = chunk.indexes.first(), items = chunk.len(), error = %error, "batch request failed");
    let error = Arc::new(error);
    let mut outcomes = Outcomes::default();
    for (index, input) in chunk.indexes.into_iter().zip(chunk.inputs) {
        outcomes.outcomes.push((
            index,
            ItemOutcome::Failed(ItemError {
                index,
                input,
                cause: FailureCause::RequestFailed(error.clone()),
            }),
        ));
    }
    outcomes
}

/// What a batch answer said of one input.
#[derive(Default)]
struct Answered {
    result: Option<Record>,
    error: Option<Arc<BatchItemError>>,
}

impl Answered {
    fn is_open(&self) -> bool {
        self.result.is_none() && self.error.is_none()
    }
}

/// Which input each key names; a key claimed by two inputs (impossible after validation)
/// names none.
struct KeyIndex(HashMap<TieKey, Option<usize>>);

impl KeyIndex {
    fn new(keys: Vec<Vec<TieKey>>) -> Self {
        let mut index = HashMap::new();
        for (position, input_keys) in keys.into_iter().enumerate() {
            for key in input_keys {
                index
                    .entry(key)
                    .and_modify(|p| *p = None)
                    .or_insert(Some(position));
            }
        }
        KeyIndex(index)
    }

    /// The inputs the `candidates` name.
    fn positions(&self, candidates: &[TieKey]) -> HashSet<usize> {
        candidates
            .iter()
            .filter_map(|key| self.0.get(key).copied().flatten())
            .collect()
    }
}

/// A batch answer sorted by the input each result and error names.
struct Tally {
    answered: Vec<Answered>,
    /// Named several inputs, or an input already answered.
    unmatched_results: Vec<Record>,
    unmatched_errors: Vec<Arc<BatchItemError>>,
    /// Named no input at all.
    nameless_results: Vec<Record>,
    nameless_errors: Vec<Arc<BatchItemError>>,
}

impl Tally {
    fn new(inputs: usize) -> Self {
        Tally {
            answered: (0..inputs).map(|_| Answered::default()).collect(),
            unmatched_results: Vec::new(),
            unmatched_errors: Vec::new(),
            nameless_results: Vec::new(),
            nameless_errors: Vec::new(),
        }
    }

    /// An error goes to every input it names that has none yet.
    fn add_error(&mut self, error: BatchItemError, index: &KeyIndex, id_properties: &[String]) {
        let error = Arc::new(error);
        let positions = index.positions(&error_keys(&error, id_properties));
        if positions.is_empty() {
            self.nameless_errors.push(error);
            return;
        }
        let mut attached = false;
        for position in positions {
            if let Some(answered) = self.answered.get_mut(position)
                && answered.error.is_none()
            {
                answered.error = Some(error.clone());
                attached = true;
            }
        }
        if !attached {
            self.unmatched_errors.push(error);
        }
    }

    /// A result goes to the one input it names, if it has none yet.
    fn add_result(&mut self, record: Record, index: &KeyIndex, id_properties: &[String]) {
        let positions = index.positions(&result_keys(&record, id_properties));
        let mut only = positions.iter().copied();
        match (only.next(), only.next()) {
            (Some(position), None) => match self.answered.get_mut(position) {
                Some(answered) if answered.result.is_none() => answered.result = Some(record),
                _ => self.unmatched_results.push(record),
            },
            (None, _) => self.nameless_results.push(record),
            (Some(_), Some(_)) => self.unmatched_results.push(record),
        }
    }

    /// One open input and one answer naming nothing, in an answer otherwise in order: the
    /// answer can only be that input's (e.g. a record returned under the id it was merged
    /// into). What stays nameless is unmatched.
    fn settle_nameless(&mut self) {
        let open: Vec<usize> = (0..self.answered.len())
            .filter(|&p| self.answered[p].is_open())
            .collect();
        if let [position] = open[..]
            && self.unmatched_results.is_empty()
            && self.unmatched_errors.is_empty()
        {
            if self.nameless_results.len() == 1 && self.nameless_errors.is_empty() {
                self.answered[position].result = self.nameless_results.pop();
            } else if self.nameless_errors.len() == 1 && self.nameless_results.is_empty() {
                self.answered[position].error = self.nameless_errors.pop();
            }
        }
        self.unmatched_results.append(&mut self.nameless_results);
        self.unmatched_errors.append(&mut self.nameless_errors);
    }
}

/// Ties one batch answer to the inputs of its request.
fn settle<I>(
    chunk: Chunk<I>,
    keys: Vec<Vec<TieKey>>,
    id_properties: &[String],
    object_type: &str,
    answer: Result<BatchResponse>,
) -> Outcomes<I> {
    let response = match answer {
        Ok(response) => response,
        Err(error) => return fail_all(chunk, object_type, error),
    };
    let index = KeyIndex::new(keys);
    let mut tally = Tally::new(chunk.len());
    for error in response.errors {
        tally.add_error(error, &index, id_properties);
    }
    for record in response.results {
        tally.add_result(record, &index, id_properties);
    }
    tally.settle_nameless();
    outcomes_of(chunk, tally, object_type)
}

/// Each input's outcome from what the answer said of it; logs what the answer left open.
fn outcomes_of<I>(chunk: Chunk<I>, tally: Tally, object_type: &str) -> Outcomes<I> {
    let first_item = chunk.indexes.first().copied();
    let Tally {
        answered,
        mut unmatched_results,
        unmatched_errors,
        ..
    } = tally;
    let mut not_confirmed = 0;
    let mut outcomes = Vec::with_capacity(answered.len());
    for ((index, input), answered) in chunk.indexes.into_iter().zip(chunk.inputs).zip(answered) {
        let cause = match answered {
            Answered {
                result: Some(record),
                error: None,
            } => {
                outcomes.push((index, ItemOutcome::Succeeded(record)));
                continue;
            }
            // HubSpot both confirmed and rejected it: report the rejection, keep the record.
            Answered {
                error: Some(error),
                result,
            } => {
                unmatched_results.extend(result);
                FailureCause::Rejected(error)
            }
            Answered {
                result: None,
                error: None,
            } => {
                not_confirmed += 1;
                FailureCause::NotConfirmed {
                    unattributed_errors: unmatched_errors.clone(),
                }
            }
        };
        let error = ItemError {
            index,
            input,
            cause,
        };
        outcomes.push((index, ItemOutcome::Failed(error)));
    }
    if not_confirmed > 0 || !unmatched_results.is_empty() || !unmatched_errors.is_empty() {
        tracing::warn!(
            object_type,
            first_item,
            not_confirmed,
            unmatched_results = unmatched_results.len(),
            unmatched_errors = unmatched_errors.len(),
            "batch answer did not account for every input"
        );
    }
    Outcomes {
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
            keys.push(unique_key(property, value));
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
            keys.push(unique_key(property, id));
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

    /// A chunk of ids whose first input is item `start` of the call.
    fn ids(start: usize, list: &[&str]) -> (Chunk<String>, Vec<Vec<TieKey>>) {
        let inputs: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        let keys = inputs
            .iter()
            .map(|id| vec![TieKey::Id(id.clone())])
            .collect();
        let indexes = (start..start + inputs.len()).collect();
        (Chunk { indexes, inputs }, keys)
    }

    fn response(results: Vec<Record>, errors: Vec<BatchItemError>) -> Result<BatchResponse> {
        Ok(BatchResponse { results, errors })
    }

    #[test]
    fn a_result_for_two_inputs_or_twice_for_one_is_never_counted_twice() {
        let (chunk, keys) = ids(10, &["1", "2", "3"]);
        let answer = response(
            vec![
                record("1", None),
                record("1", None),
                record("99", None),
                record("2", None),
            ],
            vec![],
        );
        let result = settle(chunk, keys, &[], "leads", answer).into_result();
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
        let (chunk, keys) = ids(0, &["1", "2"]);
        let answer = response(vec![record("1", None), record("77", None)], vec![]);
        let result = settle(chunk, keys, &[], "leads", answer).into_result();
        assert!(result.is_complete_success());
        assert_eq!(result.outcomes[1].succeeded().unwrap().id, "77");
        assert!(result.unmatched_results.is_empty());
    }

    #[test]
    fn a_rejection_wins_over_a_confirmation_and_the_record_is_kept() {
        let (chunk, keys) = ids(0, &["5"]);
        let error = BatchItemError {
            category: Some("VALIDATION_ERROR".into()),
            context: [("ids".to_owned(), vec!["5".to_owned()])].into(),
            ..Default::default()
        };
        let answer = response(vec![record("5", None)], vec![error]);
        let result = settle(chunk, keys, &[], "leads", answer).into_result();
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
