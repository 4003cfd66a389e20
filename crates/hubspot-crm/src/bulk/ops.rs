//! The bulk operations: each checks every input first, then sends them in requests of
//! HubSpot's size.

use std::collections::HashMap;

use futures::future::BoxFuture;

use super::keys::{TieKey, address_key, check_free, check_unique, create_keys, update_keys};
use super::send::{Batches, ConflictLocator, Outcomes, fail_all, run_chunks};
use super::*;
use crate::account_checks::check_write;
use crate::error::{Result, ValidationError};
use crate::model::{BatchResponse, NewRecord, ReadOptions, RecordUpdate};
use crate::objects::{CrmObject, Objects};
use crate::validate::{
    property_map_names, read_options, validate_address, validate_new_common, validate_record_id,
};

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
        let checks = self
            .objects
            .account_checks_for(inputs.iter().map(|input| &input.properties))
            .await?;
        let mut traces = HashMap::new();
        let (mut inputs, done) = screen(inputs, self.options.invalid_inputs, |i, input| {
            validate_new_common(input).and_then(|()| O::validate_new(input))?;
            check_write(checks.as_ref(), &input.properties)?;
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
        } = self.screen_updates(updates).await?;
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
    async fn screen_updates(&self, updates: Vec<RecordUpdate>) -> Result<ScreenedUpdates> {
        let checks = self
            .objects
            .account_checks_for(updates.iter().map(|update| &update.properties))
            .await?;
        let mut seen = HashMap::new();
        let mut traces = HashMap::new();
        let mut id_properties = Vec::new();
        let (updates, done) = screen(updates, self.options.invalid_inputs, |i, update| {
            validate_address(&update.id, update.id_property.as_deref())?;
            if update.properties.is_empty() {
                return Err(ValidationError::new("properties", "nothing to update"));
            }
            property_map_names(&update.properties)?;
            O::validate_update(update)?;
            check_write(checks.as_ref(), &update.properties)?;
            // Both keys are checked before either is taken: a refused input holds none.
            let address = address_key(&update.id, update.id_property.as_deref());
            check_free(&seen, &address, i, "id")?;
            check_trace(&mut traces, update.object_write_trace_id.as_deref(), i)?;
            seen.insert(address, i);
            Ok(())
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
pub(super) struct ScreenedUpdates {
    /// To send, with their positions.
    pub(super) updates: Vec<(usize, RecordUpdate)>,
    /// Rejected unsent.
    pub(super) done: Outcomes<RecordUpdate>,
    /// The `idProperty`s in use.
    pub(super) id_properties: Vec<String>,
    /// The trace ids taken.
    pub(super) traces: HashMap<TieKey, usize>,
}

/// The read options of a batch read, checked: a batch read returns no associations, and one
/// by `idProperty` must read that property to tie results to inputs.
pub(super) fn batch_read_options(
    options: &ReadOptions,
) -> std::result::Result<ReadOptions, ValidationError> {
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
pub(super) fn check_trace(
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
pub(super) fn fill_traces<'t>(
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
pub(super) type Screened<I, T> = (Vec<(usize, I)>, Outcomes<I, T>);

/// Runs the client's checks on every input, in order. With [`InvalidInputs::FailCall`] the
/// first failure fails the call; with [`InvalidInputs::Reject`] each failing input ends
/// [`FailureCause::Invalid`] and the rest are returned, with their positions, to be sent.
pub(super) fn screen<I, T>(
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
