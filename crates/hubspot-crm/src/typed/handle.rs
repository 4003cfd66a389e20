//! [`TypedObjects`]: the operations of [`Objects`] with records read into, and written
//! from, the caller's type. Each is built on the untyped operation of the same name, so
//! validation, the object type's rules, batching and paging are the same.

use std::marker::PhantomData;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{NoneMeans, TypedRecord, property_names, to_properties};
use crate::bulk::{BulkResult, FailureCause, ItemError, ItemOutcome};
use crate::changes::{ChangeFeedOptions, Checkpoint};
use crate::error::{Error, Result, ValidationError};
use crate::model::{NewRecord, Page, ReadOptions, Record, RecordUpdate};
use crate::objects::{CrmObject, Objects};
use crate::search::SearchRequest;
use crate::stream::StreamOptions;
use crate::unique::{UniqueFailure, UniqueOptions, UniqueOutcome};

/// A stream of typed records; an item that does not decode is yielded as an error and ends
/// the stream, as any other error does.
pub type TypedRecordStream<T> = BoxStream<'static, Result<TypedRecord<T>>>;

/// A typed change feed; see [`TypedObjects::changes`].
pub type TypedChangeStream<T> = BoxStream<'static, Result<TypedChange<T>>>;

/// One record of a typed change feed.
#[derive(Clone, Debug)]
pub struct TypedChange<T> {
    /// The record as the search returned it, its properties read into `T`.
    pub record: TypedRecord<T>,
    /// When it was last modified (its last-modified property).
    pub modified_at: DateTime<Utc>,
    /// The checkpoint to store once this change is handled.
    pub checkpoint: Checkpoint,
}

/// The operations of object type `O` with records as `T`; from [`Objects::typed`].
pub struct TypedObjects<O, T> {
    objects: Objects<O>,
    none: NoneMeans,
    _type: PhantomData<fn() -> T>,
}

impl<O, T> Clone for TypedObjects<O, T> {
    fn clone(&self) -> Self {
        TypedObjects {
            objects: self.objects.clone(),
            none: self.none,
            _type: PhantomData,
        }
    }
}

impl<O, T> std::fmt::Debug for TypedObjects<O, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedObjects")
            .field("type", &std::any::type_name::<T>())
            .field("none", &self.none)
            .finish_non_exhaustive()
    }
}

impl<O: CrmObject> Objects<O> {
    /// These operations with records read into `T` and written from it: see the
    /// [`typed`](crate::typed) module for how values convert, and which properties a read
    /// asks for (by default exactly the fields of `T`).
    ///
    /// ```no_run
    /// # async fn run(client: hubspot_crm::Client) -> hubspot_crm::Result<()> {
    /// #[derive(serde::Deserialize, serde::Serialize)]
    /// struct LeadRow {
    ///     hs_lead_name: String,
    ///     hs_lead_label: Option<String>,
    /// }
    /// let lead = client.leads().typed::<LeadRow>().get("51").await?;
    /// println!("{} is {:?}", lead.properties.hs_lead_name, lead.properties.hs_lead_label);
    /// # Ok(()) }
    /// ```
    pub fn typed<T>(&self) -> TypedObjects<O, T> {
        TypedObjects {
            objects: self.clone(),
            none: NoneMeans::default(),
            _type: PhantomData,
        }
    }
}

/// What a typed create takes: a `&T`, or a [`NewRecord`] built with
/// [`TypedObjects::new_record`] (to add associations or a trace id).
pub trait TypedNew<T> {
    /// The record to create; a `None` field as `none` says.
    fn into_new_record(self, none: NoneMeans) -> std::result::Result<NewRecord, ValidationError>;
}

impl<T: Serialize> TypedNew<T> for &T {
    fn into_new_record(self, none: NoneMeans) -> std::result::Result<NewRecord, ValidationError> {
        let properties = to_properties(self, none)?;
        Ok(properties
            .into_iter()
            .fold(NewRecord::new(), |record, (name, value)| {
                record.property(name, value)
            }))
    }
}

impl<T> TypedNew<T> for NewRecord {
    fn into_new_record(self, _none: NoneMeans) -> std::result::Result<NewRecord, ValidationError> {
        Ok(self)
    }
}

/// What a typed update or upsert takes: `(id, &T)`, or a [`RecordUpdate`] built with
/// [`TypedObjects::record_update`] (to address the record by a unique property).
pub trait TypedChangeInput<T> {
    /// The change to send; a `None` field as `none` says.
    fn into_record_update(
        self,
        none: NoneMeans,
    ) -> std::result::Result<RecordUpdate, ValidationError>;
}

impl<T: Serialize, S: Into<String>> TypedChangeInput<T> for (S, &T) {
    fn into_record_update(
        self,
        none: NoneMeans,
    ) -> std::result::Result<RecordUpdate, ValidationError> {
        let properties = to_properties(self.1, none)?;
        Ok(properties
            .into_iter()
            .fold(RecordUpdate::new(self.0), |update, (name, value)| {
                update.property(name, value)
            }))
    }
}

impl<T> TypedChangeInput<T> for RecordUpdate {
    fn into_record_update(
        self,
        _none: NoneMeans,
    ) -> std::result::Result<RecordUpdate, ValidationError> {
        Ok(self)
    }
}

/// Every input converted, or the first that cannot be, with its position.
fn converted<I, X>(
    inputs: impl IntoIterator<Item = I>,
    convert: impl Fn(I) -> std::result::Result<X, ValidationError>,
) -> std::result::Result<Vec<X>, ValidationError> {
    inputs
        .into_iter()
        .enumerate()
        .map(|(i, input)| convert(input).map_err(|e| e.at_item(i)))
        .collect()
}

/// `result` with each record read into `T`; a record that does not decode fails its input
/// (found in `inputs` by position) with [`Error::PropertyDecode`].
fn typed_bulk<I: Clone, T: DeserializeOwned>(
    result: BulkResult<I>,
    inputs: &[I],
) -> BulkResult<I, TypedRecord<T>> {
    let outcomes = result
        .outcomes
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| match outcome {
            ItemOutcome::Failed(error) => ItemOutcome::Failed(error),
            ItemOutcome::Succeeded(record) => match TypedRecord::from_record(&record) {
                Ok(typed) => ItemOutcome::Succeeded(typed),
                Err(error) => ItemOutcome::Failed(ItemError {
                    index,
                    input: inputs[index].clone(),
                    cause: FailureCause::RequestFailed(Arc::new(error)),
                }),
            },
        })
        .collect();
    BulkResult {
        outcomes,
        unmatched_results: result.unmatched_results,
        unmatched_errors: result.unmatched_errors,
    }
}

/// `stream` with each item converted; it ends after the first error.
fn until_error<X, Y>(
    stream: impl Stream<Item = Result<X>> + Send + 'static,
    convert: impl Fn(X) -> Result<Y> + Send + 'static,
) -> BoxStream<'static, Result<Y>>
where
    X: Send + 'static,
    Y: Send + 'static,
{
    stream
        .map(move |item| item.and_then(&convert))
        .scan(false, |failed, item| {
            let next = (!*failed).then(|| {
                *failed = item.is_err();
                item
            });
            futures::future::ready(next)
        })
        .boxed()
}

fn typed_page<T: DeserializeOwned>(page: Page<Record>) -> Result<Page<TypedRecord<T>>> {
    Ok(Page {
        results: page
            .results
            .iter()
            .map(TypedRecord::from_record)
            .collect::<Result<_>>()?,
        next_after: page.next_after,
        total: page.total,
    })
}

impl<O: CrmObject, T: DeserializeOwned> TypedObjects<O, T> {
    /// What a `None` field means in writes: left out (the default) or cleared.
    pub fn none_means(mut self, none: NoneMeans) -> Self {
        self.none = none;
        self
    }

    /// The untyped operations.
    pub fn objects(&self) -> &Objects<O> {
        &self.objects
    }

    /// `options` asking for `T`'s fields when it names no properties itself.
    fn read_options(options: &ReadOptions) -> ReadOptions {
        let mut options = options.clone();
        if options.properties.is_empty() && !options.all_properties {
            options.properties = property_names::<T>().unwrap_or_default();
        }
        options
    }

    /// Reads a record with `T`'s properties.
    pub async fn get(&self, id: &str) -> Result<TypedRecord<T>> {
        self.get_with(id, &ReadOptions::default()).await
    }

    /// Reads a record as [`Objects::get_with`] does; with no properties named, `T`'s.
    pub async fn get_with(&self, id: &str, options: &ReadOptions) -> Result<TypedRecord<T>> {
        let record = self
            .objects
            .get_with(id, &Self::read_options(options))
            .await?;
        TypedRecord::from_record(&record)
    }

    /// Reads any number of records by id, as [`Objects::read_many`] does; a record that does
    /// not decode fails its input with [`Error::PropertyDecode`].
    pub async fn read_many<S: Into<String>>(
        &self,
        ids: impl IntoIterator<Item = S>,
        options: &ReadOptions,
    ) -> Result<BulkResult<String, TypedRecord<T>>> {
        let ids: Vec<String> = ids.into_iter().map(Into::into).collect();
        let result = self
            .objects
            .read_many(ids.clone(), &Self::read_options(options))
            .await?;
        Ok(typed_bulk(result, &ids))
    }

    /// One page of records, as [`Objects::list_page`] reads it.
    pub async fn list_page(
        &self,
        options: &ReadOptions,
        limit: Option<u32>,
        after: Option<&str>,
    ) -> Result<Page<TypedRecord<T>>> {
        let options = Self::read_options(options);
        typed_page(self.objects.list_page(&options, limit, after).await?)
    }

    /// One page of a search, as [`Objects::search_page`] reads it; with no properties named,
    /// `T`'s.
    pub async fn search_page(&self, request: &SearchRequest) -> Result<Page<TypedRecord<T>>> {
        let request = Self::search_request(request.clone());
        typed_page(self.objects.search_page(&request).await?)
    }

    fn search_request(request: SearchRequest) -> SearchRequest {
        match property_names::<T>() {
            Some(names) if request.as_body().properties.is_empty() => request.properties(names),
            _ => request,
        }
    }
}

impl<O: CrmObject, T: DeserializeOwned + Send + 'static> TypedObjects<O, T> {
    /// Every record, as [`Objects::list_stream`] reads them.
    pub fn list_stream(&self, options: ReadOptions, stream: StreamOptions) -> TypedRecordStream<T> {
        let records = self
            .objects
            .list_stream(Self::read_options(&options), stream);
        until_error(records, |record| TypedRecord::from_record(&record))
    }

    /// Every match of a search, as [`Objects::search_stream_with`] reads them.
    pub fn search_stream(
        &self,
        request: SearchRequest,
        options: StreamOptions,
    ) -> TypedRecordStream<T> {
        let records = self
            .objects
            .search_stream_with(Self::search_request(request), options);
        until_error(records, |record| TypedRecord::from_record(&record))
    }

    /// The change feed of [`Objects::changes`], each record read into `T`; with no
    /// properties named in `options`, `T`'s (and the last-modified property). A record that
    /// does not decode ends the feed with [`Error::PropertyDecode`], before its checkpoint.
    pub fn changes(&self, since: Checkpoint, options: ChangeFeedOptions) -> TypedChangeStream<T> {
        let mut options = options;
        if options.properties.is_empty() {
            options.properties = property_names::<T>().unwrap_or_default();
        }
        until_error(self.objects.changes(since, options), |change| {
            Ok(TypedChange {
                record: TypedRecord::from_record(&change.record)?,
                modified_at: change.modified_at,
                checkpoint: change.checkpoint,
            })
        })
    }
}

impl<O: CrmObject, T: Serialize + DeserializeOwned> TypedObjects<O, T> {
    /// `value` as a record to create (its `None` fields as [`Self::none_means`] says), to
    /// add associations or a trace id to before [`Self::create`].
    pub fn new_record(&self, value: &T) -> std::result::Result<NewRecord, ValidationError> {
        value.into_new_record(self.none)
    }

    /// `value` as a change to record `id`, to address by a unique property
    /// ([`RecordUpdate::id_property`]) before [`Self::update`] or [`Self::upsert`].
    pub fn record_update(
        &self,
        id: impl Into<String>,
        value: &T,
    ) -> std::result::Result<RecordUpdate, ValidationError> {
        (id, value).into_record_update(self.none)
    }

    /// Creates a record, as [`Objects::create`] does.
    pub async fn create(&self, input: impl TypedNew<T>) -> Result<TypedRecord<T>> {
        let record = self
            .objects
            .create(input.into_new_record(self.none)?)
            .await?;
        TypedRecord::from_record(&record)
    }

    /// Changes a record, as [`Objects::update`] does: `(id, &value)` or a [`RecordUpdate`].
    pub async fn update(&self, input: impl TypedChangeInput<T>) -> Result<TypedRecord<T>> {
        let update = input.into_record_update(self.none)?;
        let record = self.objects.update(update).await?;
        TypedRecord::from_record(&record)
    }

    /// Creates or updates one record by a unique property (a [`RecordUpdate`] with
    /// [`RecordUpdate::id_property`]), as [`Objects::upsert_many`] does.
    pub async fn upsert(&self, input: impl TypedChangeInput<T>) -> Result<TypedRecord<T>> {
        let update = input.into_record_update(self.none)?;
        let result = self.objects.upsert_many(vec![update]).await?;
        let outcome = result.outcomes.into_iter().next();
        match outcome {
            Some(ItemOutcome::Succeeded(record)) => TypedRecord::from_record(&record),
            Some(ItemOutcome::Failed(failure)) => Err(item_error(failure.cause)),
            None => Err(item_error(FailureCause::NotConfirmed {
                unattributed_errors: Vec::new(),
            })),
        }
    }

    /// Creates any number of records, as [`Objects::create_many`] does; every input is
    /// converted (and checked) before anything is sent.
    pub async fn create_many<I: TypedNew<T>>(
        &self,
        inputs: impl IntoIterator<Item = I>,
    ) -> Result<BulkResult<NewRecord, TypedRecord<T>>> {
        let inputs = converted(inputs, |i| i.into_new_record(self.none))?;
        let result = self.objects.create_many(inputs.clone()).await?;
        Ok(typed_bulk(result, &inputs))
    }

    /// Updates any number of records, as [`Objects::update_many`] does.
    pub async fn update_many<I: TypedChangeInput<T>>(
        &self,
        inputs: impl IntoIterator<Item = I>,
    ) -> Result<BulkResult<RecordUpdate, TypedRecord<T>>> {
        let inputs = converted(inputs, |i| i.into_record_update(self.none))?;
        let result = self.objects.update_many(inputs.clone()).await?;
        Ok(typed_bulk(result, &inputs))
    }

    /// Creates or updates any number of records by a unique property, as
    /// [`Objects::upsert_many`] does.
    pub async fn upsert_many<I: TypedChangeInput<T>>(
        &self,
        inputs: impl IntoIterator<Item = I>,
    ) -> Result<BulkResult<RecordUpdate, TypedRecord<T>>> {
        let inputs = converted(inputs, |i| i.into_record_update(self.none))?;
        let result = self.objects.upsert_many(inputs.clone()).await?;
        Ok(typed_bulk(result, &inputs))
    }

    /// Exactly-once creates keyed by `property`, as [`Objects::unique_by`] makes them.
    pub fn unique_by(&self, property: impl Into<String>) -> TypedUniqueCreates<O, T> {
        TypedUniqueCreates {
            typed: self.clone(),
            property: property.into(),
            options: UniqueOptions::default(),
        }
    }
}

/// The error of a single upsert's failed outcome.
fn item_error(cause: FailureCause) -> Error {
    let unknown = |cause: String| Error::OutcomeUnknown {
        operation: "objects.batch_upsert".to_owned(),
        inputs: vec!["input 0".to_owned()],
        cause,
    };
    match cause {
        FailureCause::RequestFailed(error) => {
            Arc::try_unwrap(error).unwrap_or_else(|shared| unknown(shared.to_string()))
        }
        FailureCause::Invalid(error) => Error::Validation(error),
        FailureCause::Rejected(error) => Error::from(error.as_ref().clone()),
        other => unknown(other.to_string()),
    }
}

/// Typed exactly-once creates; from [`TypedObjects::unique_by`].
#[derive(Clone, Debug)]
pub struct TypedUniqueCreates<O, T> {
    typed: TypedObjects<O, T>,
    property: String,
    options: UniqueOptions,
}

/// What became of one input of [`TypedUniqueCreates::create`].
#[derive(Clone, Debug)]
pub enum TypedUniqueOutcome<T> {
    /// Created by this call.
    Created(TypedRecord<T>),
    /// A record with this input's id existed already; it was not created again.
    AlreadyExisted(TypedRecord<T>),
    /// Not created, or created or found but its record does not decode into `T`
    /// ([`FailureCause::RequestFailed`] with [`Error::PropertyDecode`], and `may_exist`).
    Failed(UniqueFailure),
}

/// The outcome of [`TypedUniqueCreates::create`]: one entry per input, in input order.
#[derive(Clone, Debug)]
pub struct TypedUniqueResult<T> {
    /// One outcome per input, in input order.
    pub outcomes: Vec<TypedUniqueOutcome<T>>,
    /// Rounds of creates sent.
    pub rounds: u32,
}

impl<O: CrmObject, T: Serialize + DeserializeOwned> TypedUniqueCreates<O, T> {
    /// Rounds, waits and bulk options other than the defaults.
    pub fn options(mut self, options: UniqueOptions) -> Self {
        self.options = options;
        self
    }

    /// Creates every input exactly once, as [`UniqueCreates::create`](crate::UniqueCreates::create)
    /// does; every input is converted before anything is sent.
    pub async fn create<I: TypedNew<T>>(
        &self,
        inputs: impl IntoIterator<Item = I>,
    ) -> Result<TypedUniqueResult<T>> {
        let none = self.typed.none;
        let inputs = converted(inputs, |i| i.into_new_record(none))?;
        let result = self
            .typed
            .objects
            .unique_by(self.property.clone())
            .options(self.options)
            .create(inputs.clone())
            .await?;
        let outcomes = result
            .outcomes
            .into_iter()
            .enumerate()
            .map(|(index, outcome)| typed_unique(outcome, index, &inputs))
            .collect();
        Ok(TypedUniqueResult {
            outcomes,
            rounds: result.rounds,
        })
    }
}

/// How a decoded record becomes its outcome again.
type Wrap<T> = fn(TypedRecord<T>) -> TypedUniqueOutcome<T>;

fn typed_unique<T: DeserializeOwned>(
    outcome: UniqueOutcome,
    index: usize,
    inputs: &[NewRecord],
) -> TypedUniqueOutcome<T> {
    let (record, wrap): (Record, Wrap<T>) = match outcome {
        UniqueOutcome::Created(record) => (record, TypedUniqueOutcome::Created),
        UniqueOutcome::AlreadyExisted(record) => (record, TypedUniqueOutcome::AlreadyExisted),
        UniqueOutcome::Failed(failure) => return TypedUniqueOutcome::Failed(failure),
    };
    match TypedRecord::from_record(&record) {
        Ok(typed) => wrap(typed),
        // The record exists; it only does not read into `T`.
        Err(error) => TypedUniqueOutcome::Failed(UniqueFailure {
            index,
            input: inputs[index].clone(),
            may_exist: true,
            cause: FailureCause::RequestFailed(Arc::new(error)),
        }),
    }
}
