//! Creates that happen exactly once, keyed by a unique-value property carrying the caller's id.
//!
//! HubSpot has no idempotency key, so a create whose answer was lost may or may not have
//! happened. A property with unique values (HubSpot's `hasUniqueValue`) holding the caller's
//! own id settles it: an input whose outcome is unknown is looked up by that property (a batch
//! read by `idProperty`, after a pause for HubSpot's indexing) and created again only when
//! absent, and HubSpot refuses a second record with the same value. Leads, which need their
//! contact association at creation, cannot be created by upsert; this works for them and for
//! every other object type.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::bulk::{
    BulkOptions, ConflictLocator, FailureCause, ItemError, ItemOutcome, comparable_unique_value,
};
use crate::error::{ApiError, Error, Result, ValidationError};
use crate::model::{NewRecord, ReadOptions, Record};
use crate::objects::{CrmObject, Objects};
use crate::validate::{property_name, validate_new_common};

/// How [`UniqueCreates::create`] goes about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UniqueOptions {
    /// How each round's creates and reads are sent.
    pub bulk: BulkOptions,
    /// The pause before looking inputs up, since HubSpot indexes new records with a delay.
    /// Default 2 s.
    pub index_delay: Duration,
    /// Rounds of creating and looking up at most (at least 1). Default 5.
    pub max_rounds: u32,
}

impl Default for UniqueOptions {
    fn default() -> Self {
        UniqueOptions {
            bulk: BulkOptions::default(),
            index_delay: Duration::from_secs(2),
            max_rounds: 5,
        }
    }
}

impl UniqueOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// See [`Self::bulk`](field@Self::bulk).
    pub fn bulk(mut self, bulk: BulkOptions) -> Self {
        self.bulk = bulk;
        self
    }

    /// See [`Self::index_delay`](field@Self::index_delay).
    pub fn index_delay(mut self, delay: Duration) -> Self {
        self.index_delay = delay;
        self
    }

    /// See [`Self::max_rounds`](field@Self::max_rounds).
    pub fn max_rounds(mut self, rounds: u32) -> Self {
        self.max_rounds = rounds;
        self
    }
}

/// What became of one input of [`UniqueCreates::create`].
#[derive(Clone, Debug)]
pub enum UniqueOutcome {
    /// Created by this call (confirmed by HubSpot's answer, or, where the answer was lost,
    /// found by its id afterwards with a creation time after the call began, less a minute
    /// for clocks apart, and holding the input's values).
    Created(Record),
    /// A record with this input's id existed already; it was not created again.
    AlreadyExisted(Record),
    /// Not created; [`UniqueFailure::may_exist`] says whether it may exist anyway.
    Failed(UniqueFailure),
}

impl UniqueOutcome {
    /// The record, created or found.
    pub fn record(&self) -> Option<&Record> {
        match self {
            UniqueOutcome::Created(record) | UniqueOutcome::AlreadyExisted(record) => Some(record),
            UniqueOutcome::Failed(_) => None,
        }
    }
}

/// An input [`UniqueCreates::create`] could not create.
#[derive(Clone, Debug)]
pub struct UniqueFailure {
    /// Its position in the caller's input.
    pub index: usize,
    /// The input.
    pub input: NewRecord,
    /// Whether a record for it may exist: a create of it may have happened and it was not
    /// found since (looking it up failed, or found nothing while HubSpot may still be
    /// indexing it). `false` when no create of it can have happened.
    pub may_exist: bool,
    /// The last failure met.
    pub cause: FailureCause,
}

/// The outcome of [`UniqueCreates::create`]: one entry per input, in input order.
#[derive(Clone, Debug)]
pub struct UniqueResult {
    /// One outcome per input, in input order.
    pub outcomes: Vec<UniqueOutcome>,
    /// Rounds of creates sent.
    pub rounds: u32,
}

impl UniqueResult {
    /// Records created by this call, in input order.
    pub fn created(&self) -> impl Iterator<Item = &Record> {
        self.outcomes.iter().filter_map(|o| match o {
            UniqueOutcome::Created(record) => Some(record),
            _ => None,
        })
    }

    /// Records that existed already, in input order.
    pub fn already_existed(&self) -> impl Iterator<Item = &Record> {
        self.outcomes.iter().filter_map(|o| match o {
            UniqueOutcome::AlreadyExisted(record) => Some(record),
            _ => None,
        })
    }

    /// Inputs not created, in input order.
    pub fn failed(&self) -> impl Iterator<Item = &UniqueFailure> {
        self.outcomes.iter().filter_map(|o| match o {
            UniqueOutcome::Failed(failure) => Some(failure),
            _ => None,
        })
    }

    /// Failed inputs whose record may exist all the same.
    pub fn unresolved(&self) -> impl Iterator<Item = &UniqueFailure> {
        self.failed().filter(|f| f.may_exist)
    }
}

/// Exactly-once creates keyed by one unique-value property; from [`Objects::unique_by`].
#[derive(Clone, Debug)]
pub struct UniqueCreates<O> {
    objects: Objects<O>,
    property: String,
    options: UniqueOptions,
}

impl<O: CrmObject> Objects<O> {
    /// Creates that happen exactly once, keyed by `property`: a property with unique values
    /// (`hasUniqueValue`) that each input sets to the caller's own id for the record.
    ///
    /// ```no_run
    /// # async fn run(client: hubspot_crm::Client, contact_id: String) -> hubspot_crm::Result<()> {
    /// let leads = client.leads();
    /// let inputs = (0..20_000)
    ///     .map(|i| {
    ///         leads
    ///             .new_lead(format!("Lead {i}"))
    ///             .contact(&contact_id)
    ///             .property("external_id", format!("crm-{i}"))
    ///             .into_new_record()
    ///     })
    ///     .collect();
    /// let result = leads.unique_by("external_id").create(inputs).await?;
    /// println!(
    ///     "{} created, {} there already, {} failed ({} of them may exist)",
    ///     result.created().count(),
    ///     result.already_existed().count(),
    ///     result.failed().count(),
    ///     result.unresolved().count(),
    /// );
    /// # Ok(()) }
    /// ```
    pub fn unique_by(&self, property: impl Into<String>) -> UniqueCreates<O> {
        UniqueCreates {
            objects: self.clone(),
            property: property.into(),
            options: UniqueOptions::default(),
        }
    }
}

/// Where an input stands between rounds.
#[derive(Clone, Debug)]
enum State {
    /// Not sent yet.
    Fresh,
    /// To be sent again.
    Pending {
        /// A create of it may have happened already.
        maybe_created: bool,
        last: FailureCause,
    },
    /// To be looked up by its id.
    LookUp {
        maybe_created: bool,
        last: FailureCause,
    },
    /// HubSpot named the record holding its id (a 409's `Existing ID`): to be read by that
    /// record id, which, unlike a read by `idProperty`, does not wait for HubSpot's index.
    Existing {
        record_id: String,
        maybe_created: bool,
        last: FailureCause,
    },
    Done(UniqueOutcome),
}

impl State {
    fn is_done(&self) -> bool {
        matches!(self, State::Done(_))
    }
}

/// The record id a conflict names, when HubSpot refused the create because the id is taken.
/// Only an error of the input's own counts: a request's 409 names the record of one of its
/// inputs, not of each.
fn existing_record(error: &ItemError<NewRecord>) -> Option<String> {
    match &error.cause {
        FailureCause::Rejected(api) => api.existing_id().map(str::to_owned),
        _ => None,
    }
}

/// The day's requests are used up (HubSpot's daily limit, or the client's daily budget):
/// nothing more can succeed today, so the call ends instead of trying again.
fn day_is_spent(cause: &FailureCause) -> bool {
    let FailureCause::RequestFailed(error) = cause else {
        return false;
    };
    match error.as_ref() {
        Error::HubSpotDailyLimit(_) | Error::DailyBudgetSpent { .. } => true,
        other => other.api_error().is_some_and(|e| e.is_daily_limit()),
    }
}

/// Tells which input of a create refused whole with a 409 holds the taken id, by reading
/// the record the 409 names; keeps what it read for the outcome.
struct HolderOfId<'a, O> {
    objects: &'a Objects<O>,
    property: &'a str,
    /// Records located, by the value of the input they hold the id of.
    found: Mutex<HashMap<String, Record>>,
    /// Each record a 409 named, read once (`None`: it could not be read): the halves of a
    /// refused request name it again.
    read: Mutex<HashMap<String, Option<Record>>>,
}

impl<'a, O: CrmObject> HolderOfId<'a, O> {
    fn new(objects: &'a Objects<O>, property: &'a str) -> Self {
        HolderOfId {
            objects,
            property,
            found: Mutex::new(HashMap::new()),
            read: Mutex::new(HashMap::new()),
        }
    }

    /// Record `id` with the id property and every property `inputs` set; read once.
    async fn record(&self, id: &str, inputs: &[NewRecord]) -> Option<Record> {
        if let Some(known) = lock(&self.read).get(id) {
            return known.clone();
        }
        let options = ReadOptions::new().properties(read_properties(self.property, inputs));
        let record = self.objects.get_with(id, &options).await.ok();
        lock(&self.read).insert(id.to_owned(), record.clone());
        record
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl<O: CrmObject> ConflictLocator<NewRecord> for HolderOfId<'_, O> {
    fn locate<'a>(
        &'a self,
        existing_id: &'a str,
        inputs: &'a [NewRecord],
    ) -> BoxFuture<'a, Option<usize>> {
        Box::pin(async move {
            let record = self.record(existing_id, inputs).await?;
            let held = comparable_unique_value(self.property, record.property(self.property)?);
            let position = inputs.iter().position(|i| {
                i.properties
                    .get(self.property)
                    .is_some_and(|v| comparable_unique_value(self.property, v) == held)
            })?;
            let value = inputs[position].properties[self.property].clone();
            lock(&self.found).insert(value, record);
            Some(position)
        })
    }
}

/// The id property and every property the `inputs` set: what a read of their records asks
/// for.
fn read_properties<'i>(
    property: &'i str,
    inputs: impl IntoIterator<Item = &'i NewRecord>,
) -> BTreeSet<&'i str> {
    let mut properties = BTreeSet::from([property]);
    for input in inputs {
        properties.extend(input.properties.keys().map(String::as_str));
    }
    properties
}

/// Whether a failed create's input is worth looking up: its create may have happened, or
/// HubSpot says a record with its id exists.
fn look_up_after(error: &ItemError<NewRecord>) -> bool {
    if error.may_have_been_applied() {
        return true;
    }
    let api = match &error.cause {
        FailureCause::Rejected(api) => Some(api.as_ref()),
        FailureCause::RequestFailed(error) => error.api_error(),
        _ => None,
    };
    api.is_some_and(ApiError::is_conflict)
}

/// Whether a failed create did nothing and may simply be sent again (rate limits, locks).
fn send_again_after(error: &ItemError<NewRecord>) -> bool {
    match &error.cause {
        FailureCause::RequestFailed(error) => match error.as_ref() {
            Error::RateLimitWaitTooLong { .. } | Error::RateLimitStore { .. } => true,
            Error::Api(api) => matches!(api.status, 423 | 429 | 477),
            _ => false,
        },
        _ => false,
    }
}

impl<O: CrmObject> UniqueCreates<O> {
    /// Other options than the defaults.
    pub fn options(mut self, options: UniqueOptions) -> Self {
        self.options = options;
        self
    }

    /// The id `input` carries, as HubSpot compares unique values: exactly as sent.
    fn key_of<'i>(&self, input: &'i NewRecord) -> Option<&'i str> {
        input
            .properties
            .get(&self.property)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Whether `record` holds `input`'s id, as HubSpot compares ids.
    fn holds_id_of(&self, record: &Record, input: &NewRecord) -> bool {
        match (record.property(&self.property), self.key_of(input)) {
            (Some(held), Some(id)) => {
                comparable_unique_value(&self.property, held)
                    == comparable_unique_value(&self.property, id)
            }
            _ => false,
        }
    }

    /// Checks everything that can be checked before the first write: the inputs (each
    /// carries a distinct id) and the property (it exists and has unique values).
    async fn check(&self, inputs: &[NewRecord]) -> Result<()> {
        property_name("property", &self.property)?;
        if self.options.max_rounds == 0 {
            return Err(ValidationError::new("max_rounds", "must be at least 1").into());
        }
        self.options.bulk.validate()?;
        self.objects.check_type()?;
        let mut seen = HashMap::new();
        for (i, input) in inputs.iter().enumerate() {
            validate_new_common(input)
                .and_then(|()| O::validate_new(input))
                .map_err(|e| e.at_item(i))?;
            let Some(key) = self.key_of(input) else {
                return Err(ValidationError::new(
                    self.property.clone(),
                    "is required: it carries the id each record is created once by",
                )
                .at_item(i)
                .into());
            };
            if key.trim() != key {
                return Err(ValidationError::new(
                    self.property.clone(),
                    format!(
                        "`{key}` has white space around it; HubSpot would keep it as sent, so it would not match the id elsewhere"
                    ),
                )
                .at_item(i)
                .into());
            }
            if let Some(first) = seen.insert(comparable_unique_value(&self.property, key), i) {
                return Err(ValidationError::new(
                    self.property.clone(),
                    format!(
                        "`{}` is also item {first}'s; each input needs its own id",
                        input.properties[&self.property]
                    ),
                )
                .at_item(i)
                .into());
            }
        }
        let object_type = self.objects.object_type();
        let definitions = self
            .objects
            .client()
            .properties()
            .definitions(object_type)
            .await?;
        match definitions.get(&self.property) {
            None => Err(ValidationError::new(
                self.property.clone(),
                format!(
                    "is not a property of {object_type}; create it (a text property with unique values) to carry your ids"
                ),
            )
            .into()),
            Some(definition) if !definition.has_unique_value => Err(ValidationError::new(
                self.property.clone(),
                format!(
                    "is a property of {object_type} without unique values (hasUniqueValue is false), so HubSpot would not refuse a second record with the same id"
                ),
            )
            .into()),
            Some(_) => Ok(()),
        }
    }

    /// Creates every input exactly once: see [`Objects::unique_by`]. Each input ends created
    /// (with its record), already existing (with the existing record), or failed with whether
    /// its record may exist. Fails before sending anything when an input is invalid, lacks the
    /// id property, repeats another input's id, or the property does not exist or lacks
    /// unique values.
    pub async fn create(&self, inputs: Vec<NewRecord>) -> Result<UniqueResult> {
        self.check(&inputs).await?;
        let started = chrono::Utc::now();
        // Created before this call began (allowing for clocks apart): not ours, though a
        // create of ours may have been refused because of it.
        let before_us = started - CLOCK_SKEW;
        let mut states: Vec<State> = vec![State::Fresh; inputs.len()];
        let mut rounds = 0;
        let mut day_spent = false;
        while rounds < self.options.max_rounds && !day_spent && !states.iter().all(State::is_done) {
            rounds += 1;
            day_spent = self.create_round(&inputs, &mut states, before_us).await?;
            if !day_spent {
                day_spent = self.read_existing(&inputs, &mut states, before_us).await?;
            }
            if !day_spent {
                day_spent = self.look_up(&inputs, &mut states, before_us).await?;
            }
        }
        let outcomes = states
            .into_iter()
            .enumerate()
            .map(|(index, state)| final_outcome(index, &inputs[index], state))
            .collect();
        Ok(UniqueResult { outcomes, rounds })
    }

    /// Sends the inputs due to be created; returns whether the day's requests ran out.
    async fn create_round(
        &self,
        inputs: &[NewRecord],
        states: &mut [State],
        before_us: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool> {
        let pending: Vec<usize> = indexes(states, |s| {
            matches!(s, State::Fresh | State::Pending { .. })
        });
        if pending.is_empty() {
            return Ok(false);
        }
        let holder = HolderOfId::new(&self.objects, &self.property);
        let batch: Vec<NewRecord> = pending.iter().map(|&i| inputs[i].clone()).collect();
        let result = self
            .objects
            .bulk(self.options.bulk)
            .create_locating(batch, Some(&holder))
            .await?;
        let mut found = holder.found.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut day_spent = false;
        for (&i, outcome) in pending.iter().zip(result.outcomes) {
            let maybe_created = matches!(
                states[i],
                State::Pending {
                    maybe_created: true,
                    ..
                }
            );
            let error = match outcome {
                ItemOutcome::Succeeded(record) => {
                    states[i] = State::Done(UniqueOutcome::Created(record));
                    continue;
                }
                ItemOutcome::Failed(error) => error,
            };
            day_spent |= day_is_spent(&error.cause);
            let maybe_created = maybe_created || error.may_have_been_applied();
            let held = self.key_of(&inputs[i]).and_then(|key| found.remove(key));
            states[i] = match (held, existing_record(&error)) {
                (Some(record), _) => {
                    State::Done(ours_or_theirs(record, &inputs[i], maybe_created, before_us))
                }
                (None, Some(record_id)) => State::Existing {
                    record_id,
                    maybe_created,
                    last: error.cause,
                },
                (None, None) => after_failed_create(i, &inputs[i], maybe_created, error),
            };
        }
        Ok(day_spent)
    }

    /// Reads the records that 409s named, by record id; returns whether the day's requests
    /// ran out.
    async fn read_existing(
        &self,
        inputs: &[NewRecord],
        states: &mut [State],
        before_us: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool> {
        let wanted: Vec<usize> = indexes(states, |s| matches!(s, State::Existing { .. }));
        if wanted.is_empty() {
            return Ok(false);
        }
        let mut record_ids: Vec<String> = Vec::new();
        for &i in &wanted {
            if let State::Existing { record_id, .. } = &states[i]
                && !record_ids.contains(record_id)
            {
                record_ids.push(record_id.clone());
            }
        }
        let options = ReadOptions::new().properties(read_properties(
            &self.property,
            wanted.iter().map(|&i| &inputs[i]),
        ));
        let result = self
            .objects
            .bulk(self.options.bulk)
            .read(record_ids.clone(), &options)
            .await?;
        let mut day_spent = false;
        let mut read: HashMap<String, std::result::Result<Record, FailureCause>> = HashMap::new();
        for (id, outcome) in record_ids.into_iter().zip(result.outcomes) {
            let outcome = match outcome {
                ItemOutcome::Succeeded(record) => Ok(record),
                ItemOutcome::Failed(error) => Err(error.cause),
            };
            day_spent |= outcome.as_ref().is_err_and(day_is_spent);
            read.insert(id, outcome);
        }
        for &i in &wanted {
            let State::Existing {
                record_id,
                maybe_created,
                last,
            } = std::mem::replace(&mut states[i], State::Fresh)
            else {
                continue;
            };
            states[i] = match read.get(&record_id) {
                Some(Ok(record)) if self.holds_id_of(record, &inputs[i]) => State::Done(
                    ours_or_theirs(record.clone(), &inputs[i], maybe_created, before_us),
                ),
                // The record holds another unique value of the input (not the id): the
                // input cannot be created.
                Some(Ok(_)) => State::Done(UniqueOutcome::Failed(UniqueFailure {
                    index: i,
                    input: inputs[i].clone(),
                    may_exist: maybe_created,
                    cause: last,
                })),
                // Gone since, or not read: look it up by its id the usual way.
                Some(Err(cause)) => State::LookUp {
                    maybe_created,
                    last: cause.clone(),
                },
                None => State::LookUp {
                    maybe_created,
                    last,
                },
            };
        }
        Ok(day_spent)
    }
    /// Looks the inputs to look up up by their id, after the indexing pause: found ones are
    /// done, absent ones go back to be created, and those whose read failed stay to be
    /// looked up in the next round.
    async fn look_up(
        &self,
        inputs: &[NewRecord],
        states: &mut [State],
        before_us: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool> {
        let wanted: Vec<usize> = indexes(states, |s| matches!(s, State::LookUp { .. }));
        if wanted.is_empty() {
            return Ok(false);
        }
        tokio::time::sleep(self.options.index_delay).await;
        let options = ReadOptions::new()
            .id_property(self.property.clone())
            .properties(read_properties(
                &self.property,
                wanted.iter().map(|&i| &inputs[i]),
            ));
        let ids: Vec<String> = wanted
            .iter()
            .map(|&i| inputs[i].properties[&self.property].clone())
            .collect();
        let result = self
            .objects
            .bulk(self.options.bulk)
            .read(ids, &options)
            .await?;
        let mut day_spent = false;
        for (&i, outcome) in wanted.iter().zip(result.outcomes) {
            let State::LookUp { maybe_created, .. } = states[i] else {
                continue;
            };
            states[i] = match outcome {
                // A create of ours that may have happened, found: ours. Otherwise HubSpot
                // refused the create because the record was there.
                ItemOutcome::Succeeded(record) => {
                    State::Done(ours_or_theirs(record, &inputs[i], maybe_created, before_us))
                }
                ItemOutcome::Failed(error) => match error.cause {
                    // The read failed: nothing learned, look again next round.
                    FailureCause::RequestFailed(_) => {
                        day_spent |= day_is_spent(&error.cause);
                        State::LookUp {
                            maybe_created,
                            last: error.cause,
                        }
                    }
                    // Absent: create it (again). A record indexed late is refused by its
                    // unique id and found in a later round.
                    cause => State::Pending {
                        maybe_created,
                        last: cause,
                    },
                },
            };
        }
        Ok(day_spent)
    }
}

/// A record found holding an input's id: created by this call when a create of it may have
/// happened, the record is new enough and it holds the input's values; else there before.
fn ours_or_theirs(
    record: Record,
    input: &NewRecord,
    maybe_created: bool,
    before_us: chrono::DateTime<chrono::Utc>,
) -> UniqueOutcome {
    if maybe_created && record.created_at >= before_us && holds_values_of(&record, input) {
        UniqueOutcome::Created(record)
    } else {
        UniqueOutcome::AlreadyExisted(record)
    }
}

/// Whether `record` holds every value `input` set that the read returned: a record this call
/// created does, one made by someone else with the same id seldom does. Values are compared
/// as HubSpot may give them back (another case, a number written another way).
fn holds_values_of(record: &Record, input: &NewRecord) -> bool {
    input.properties.iter().all(|(name, sent)| {
        let Some(held) = record.properties.get(name) else {
            // Not read back: no evidence either way.
            return true;
        };
        let held = held.as_deref().unwrap_or_default();
        held == sent
            || held.eq_ignore_ascii_case(sent)
            || matches!(
                (held.trim().parse::<f64>(), sent.trim().parse::<f64>()),
                (Ok(a), Ok(b)) if a == b
            )
    })
}

/// Where a failed create that named no existing record goes next.
fn after_failed_create(
    index: usize,
    input: &NewRecord,
    maybe_created: bool,
    error: ItemError<NewRecord>,
) -> State {
    if look_up_after(&error) {
        State::LookUp {
            maybe_created,
            last: error.cause,
        }
    } else if send_again_after(&error) {
        State::Pending {
            maybe_created,
            last: error.cause,
        }
    } else {
        // Every attempt carried the same values: one HubSpot refuses now, it refused then.
        let refused_for_its_values = matches!(
            &error.cause,
            FailureCause::Rejected(api) if api.is_validation_error()
        );
        State::Done(UniqueOutcome::Failed(UniqueFailure {
            index,
            input: input.clone(),
            may_exist: maybe_created && !refused_for_its_values,
            cause: error.cause,
        }))
    }
}

/// What an input's state comes to when the rounds are over.
fn final_outcome(index: usize, input: &NewRecord, state: State) -> UniqueOutcome {
    let failed = |may_exist, cause| {
        UniqueOutcome::Failed(UniqueFailure {
            index,
            input: input.clone(),
            may_exist,
            cause,
        })
    };
    match state {
        State::Done(outcome) => outcome,
        // Not sent: the day's requests ran out first.
        State::Fresh => failed(
            false,
            FailureCause::NotConfirmed {
                unattributed_errors: Vec::new(),
            },
        ),
        // Looked up and not found after a create that may have happened: HubSpot indexes
        // with a delay, so it may exist all the same.
        State::Pending {
            maybe_created,
            last,
        } => failed(maybe_created, last),
        State::LookUp { last, .. } | State::Existing { last, .. } => failed(true, last),
    }
}
/// How far HubSpot's clock may be behind this machine's when telling a record created by
/// this call from one that was there before.
const CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

fn indexes(states: &[State], keep: impl Fn(&State) -> bool) -> Vec<usize> {
    states
        .iter()
        .enumerate()
        .filter(|(_, s)| keep(s))
        .map(|(i, _)| i)
        .collect()
}
