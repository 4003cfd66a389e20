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

use std::fmt;
use std::sync::Arc;

mod keys;
mod ops;
mod send;
mod settle;

pub(crate) use keys::comparable_unique_value;
pub(crate) use send::ConflictLocator;

use crate::error::{ApiError, Error, Result, ValidationError};
use crate::model::{NewRecord, ReadOptions, Record, RecordUpdate};
use crate::objects::{CrmObject, Objects};

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
    /// limiter; `unique_by` adds one read of each record a 409 names. Default `true`; `false` fails the request's inputs with its error.
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
    /// The input as sent, with the `objectWriteTraceId` it was sent with (creates, updates
    /// and upserts).
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
                // A typed write's answer that did not decode: HubSpot applied it.
                Error::PropertyDecode { .. } => true,
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
