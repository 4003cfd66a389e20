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
use std::time::Duration;

use crate::bulk::{BulkOptions, FailureCause, ItemError, ItemOutcome};
use crate::error::{Error, Result, ValidationError};
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
    /// for clocks apart).
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
    Done(UniqueOutcome),
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
    api.is_some_and(|e| e.status == 409 || e.category.as_deref() == Some("CONFLICT"))
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

    /// The id `input` carries, trimmed and folded for comparing.
    fn key_of(&self, input: &NewRecord) -> Option<String> {
        input
            .properties
            .get(&self.property)
            .map(|v| v.trim().to_lowercase())
            .filter(|v| !v.is_empty())
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
            if let Some(first) = seen.insert(key, i) {
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
        let mut states: Vec<State> = vec![State::Fresh; inputs.len()];
        let bulk = self.objects.bulk(self.options.bulk);
        let mut rounds = 0;
        while rounds < self.options.max_rounds
            && states.iter().any(|s| !matches!(s, State::Done(_)))
        {
            rounds += 1;
            let pending: Vec<usize> = indexes(&states, |s| {
                matches!(s, State::Fresh | State::Pending { .. })
            });
            if !pending.is_empty() {
                let batch: Vec<NewRecord> = pending.iter().map(|&i| inputs[i].clone()).collect();
                let result = bulk.create(batch).await?;
                for (&i, outcome) in pending.iter().zip(result.outcomes) {
                    let maybe_created = matches!(
                        states[i],
                        State::Pending {
                            maybe_created: true,
                            ..
                        }
                    );
                    states[i] = match outcome {
                        ItemOutcome::Succeeded(record) => {
                            State::Done(UniqueOutcome::Created(record))
                        }
                        ItemOutcome::Failed(error) if look_up_after(&error) => State::LookUp {
                            maybe_created: maybe_created || error.may_have_been_applied(),
                            last: error.cause,
                        },
                        ItemOutcome::Failed(error) if send_again_after(&error) => State::Pending {
                            maybe_created,
                            last: error.cause,
                        },
                        ItemOutcome::Failed(error) => {
                            State::Done(UniqueOutcome::Failed(UniqueFailure {
                                index: i,
                                input: inputs[i].clone(),
                                may_exist: maybe_created,
                                cause: error.cause,
                            }))
                        }
                    };
                }
            }
            self.look_up(&inputs, &mut states, started).await?;
        }
        let outcomes = states
            .into_iter()
            .enumerate()
            .map(|(index, state)| match state {
                State::Done(outcome) => outcome,
                // Every input is sent in the first round; kept for completeness.
                State::Fresh => UniqueOutcome::Failed(UniqueFailure {
                    index,
                    input: inputs[index].clone(),
                    may_exist: false,
                    cause: FailureCause::NotConfirmed {
                        unattributed_errors: Vec::new(),
                    },
                }),
                // Looked up and not found after a create that may have happened: HubSpot
                // indexes with a delay, so it may exist all the same.
                State::Pending {
                    maybe_created,
                    last,
                } => UniqueOutcome::Failed(UniqueFailure {
                    index,
                    input: inputs[index].clone(),
                    may_exist: maybe_created,
                    cause: last,
                }),
                State::LookUp { last, .. } => UniqueOutcome::Failed(UniqueFailure {
                    index,
                    input: inputs[index].clone(),
                    may_exist: true,
                    cause: last,
                }),
            })
            .collect();
        Ok(UniqueResult { outcomes, rounds })
    }

    /// Looks the inputs to look up up by their id, after the indexing pause: found ones are
    /// done, absent ones go back to be created, and those whose read failed stay to be
    /// looked up in the next round.
    async fn look_up(
        &self,
        inputs: &[NewRecord],
        states: &mut [State],
        started: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        // Created before this call began (allowing for clocks apart): not ours, though a
        // create of ours may have been refused because of it.
        let before_us = started - CLOCK_SKEW;
        let wanted: Vec<usize> = indexes(states, |s| matches!(s, State::LookUp { .. }));
        if wanted.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(self.options.index_delay).await;
        let mut properties: BTreeSet<&str> = BTreeSet::from([self.property.as_str()]);
        for &i in &wanted {
            properties.extend(inputs[i].properties.keys().map(String::as_str));
        }
        let options = ReadOptions::new()
            .id_property(self.property.clone())
            .properties(properties);
        let ids: Vec<String> = wanted
            .iter()
            .map(|&i| inputs[i].properties[&self.property].trim().to_owned())
            .collect();
        let result = self
            .objects
            .bulk(self.options.bulk)
            .read(ids, &options)
            .await?;
        for (&i, outcome) in wanted.iter().zip(result.outcomes) {
            let State::LookUp { maybe_created, .. } = states[i] else {
                continue;
            };
            states[i] = match outcome {
                // A create of ours that may have happened, found: ours. Otherwise HubSpot
                // refused the create because the record was there.
                ItemOutcome::Succeeded(record)
                    if maybe_created && record.created_at >= before_us =>
                {
                    State::Done(UniqueOutcome::Created(record))
                }
                ItemOutcome::Succeeded(record) => {
                    State::Done(UniqueOutcome::AlreadyExisted(record))
                }
                ItemOutcome::Failed(error) => match error.cause {
                    // The read failed: nothing learned, look again next round.
                    FailureCause::RequestFailed(_) => State::LookUp {
                        maybe_created,
                        last: error.cause,
                    },
                    // Absent: create it (again). A record indexed late is refused by its
                    // unique id and found in a later round.
                    cause => State::Pending {
                        maybe_created,
                        last: cause,
                    },
                },
            };
        }
        Ok(())
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
