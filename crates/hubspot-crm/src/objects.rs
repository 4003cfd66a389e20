//! The generic CRM-object layer: [`CrmObject`], a trait of constants and optional rules that
//! describes one object type, and [`Objects`], the handle every object type shares. Every
//! type, leads included, goes through the objects family's module of the client's version
//! (`/crm/v3/objects/{objectType}`, or `/crm/objects/2026-09/{objectType}`), which take the
//! same shared request types.

use std::marker::PhantomData;
use std::sync::Arc;

use hubspot_crm_api::shared::{
    BatchInputSimplePublicObjectBatchInput, BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert, BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId, PublicObjectSearchRequest,
    SimplePublicObjectBatchInputUpsert, SimplePublicObjectId, SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
};

use crate::account_checks::check_write;
use crate::client::Client;
use crate::error::{Error, Result, ValidationError};
use crate::model::{
    AssociationType, BatchResponse, NewRecord, Page, ReadOptions, Record, RecordUpdate, comma_list,
};
use crate::query_budget::{self, QueryLength, Split};
use crate::route::{Versioned, family, on_version};
use crate::search::SearchRequest;
use crate::transport::Call;
use crate::validate::{
    self, after_cursor, check_object_type, property_map_names, read_options, validate_new_common,
    validate_path_address, validate_record_id,
};

/// A CRM object type: HubSpot's name and id for it, and the rules this client checks before
/// sending. Implement it in your own crate for any standard or custom object type; every
/// operation of [`Objects`] then works for it.
///
/// ```
/// use hubspot_crm::{AssociationType, CrmObject, NewRecord, RecordUpdate, ValidationError};
///
/// /// Deals (`0-3`).
/// pub struct Deal;
///
/// impl CrmObject for Deal {
///     const OBJECT_TYPE: &'static str = "deals";
///     const OBJECT_TYPE_ID: &'static str = "0-3";
///     const DEFAULT_PROPERTIES: &'static [&'static str] = &["dealname", "amount", "dealstage"];
///
///     const PIPELINE_PROPERTY: &'static str = "pipeline";
///     const STAGE_PROPERTY: &'static str = "dealstage";
///
///     fn validate_new(input: &NewRecord) -> Result<(), ValidationError> {
///         match input.properties.get("dealname") {
///             Some(name) if !name.trim().is_empty() => Ok(()),
///             _ => Err(ValidationError::new("dealname", "is required to create a deal")),
///         }
///     }
///
///     fn validate_update(update: &RecordUpdate) -> Result<(), ValidationError> {
///         match update.properties.get("dealname") {
///             Some(name) if name.trim().is_empty() => {
///                 Err(ValidationError::new("dealname", "cannot be cleared"))
///             }
///             _ => Ok(()),
///         }
///     }
/// }
/// # let _ = Deal::association_type("contacts");
/// ```
///
/// # A custom object whose type id the account decides
///
/// Each account numbers its custom object types itself (`2-1234567` in one, `2-7654321` in
/// another), so the id cannot be a constant of the impl. Write the impl once, for every
/// account: `OBJECT_TYPE` is `p_<name>`, which HubSpot takes in paths in any account (so
/// [`Client::objects`] works with it too), and `OBJECT_TYPE_ID` is `""`, as the id is known
/// only at run time (records are addressed by the handle's type, and the account checks find
/// the id by the schema's name where they need it). Then get the handle
/// from [`Client::objects_named`], which finds the account's id by the schema's name (cached
/// per client), or from [`Client::objects_as`] with an id from configuration. Either handle
/// addresses that id and keeps every rule of the impl: a car without a valid VIN below is
/// refused before anything is sent.
///
/// ```no_run
/// use hubspot_crm::{CrmObject, NewRecord, ValidationError};
///
/// /// The account's `cars` custom object, whatever its type id there.
/// pub struct Car;
///
/// impl CrmObject for Car {
///     const OBJECT_TYPE: &'static str = "p_cars";
///     const OBJECT_TYPE_ID: &'static str = "";
///     const DEFAULT_PROPERTIES: &'static [&'static str] = &["vin", "model"];
///
///     fn validate_new(input: &NewRecord) -> Result<(), ValidationError> {
///         match input.properties.get("vin") {
///             Some(vin) if vin.len() == 17 => Ok(()),
///             _ => Err(ValidationError::new("vin", "a VIN has 17 characters")),
///         }
///     }
/// }
///
/// # async fn run(client: hubspot_crm::Client) -> hubspot_crm::Result<()> {
/// // The id looked up by name: `2-...`, whichever the account gave `cars`.
/// let cars = client.objects_named::<Car>("cars").await?;
/// let car = cars.create(NewRecord::new().property("vin", "1HGCM82633A004352")).await?;
/// println!("car {} of type {}", car.id, cars.object_type());
///
/// // The id from configuration.
/// let type_id = std::env::var("CARS_TYPE_ID").unwrap_or_else(|_| "2-1234567".into());
/// let cars = client.objects_as::<Car>(&type_id)?;
/// assert!(cars.create(NewRecord::new().property("vin", "too short")).await.is_err());
/// # Ok(()) }
/// ```
pub trait CrmObject: Send + Sync + 'static {
    /// HubSpot's object type name (e.g. `deals`), or a custom object's type id (`2-1234567`)
    /// or `p_<name>`; the type [`Client::objects`] addresses. Handles from
    /// [`Client::objects_as`] and [`Client::objects_named`] address the type given there
    /// instead.
    const OBJECT_TYPE: &'static str;
    /// HubSpot's object type id, e.g. `0-3`; `""` for a custom object whose id is known only
    /// at run time. Records are addressed by the handle's type; the id names the type where
    /// HubSpot takes only ids (the property validation rules the account checks read).
    const OBJECT_TYPE_ID: &'static str;
    /// Properties read when a read names none (HubSpot's own defaults when empty).
    const DEFAULT_PROPERTIES: &'static [&'static str] = &[];
    /// The property holding a record's last modification time, which
    /// [`Objects::changes`] orders by: `hs_lastmodifieddate` for most types (contacts have
    /// `lastmodifieddate`).
    const LAST_MODIFIED_PROPERTY: &'static str = "hs_lastmodifieddate";

    /// The property naming a record's pipeline, against which the
    /// [account checks](crate::ClientBuilder::account_checks) check its stage: `hs_pipeline`
    /// for leads, tickets and custom objects (the default); deals have `pipeline`.
    const PIPELINE_PROPERTY: &'static str = "hs_pipeline";
    /// The property naming a record's pipeline stage: `hs_pipeline_stage` (the default);
    /// deals have `dealstage`.
    const STAGE_PROPERTY: &'static str = "hs_pipeline_stage";

    /// Object-specific checks of a record to create, on top of those every object gets.
    fn validate_new(input: &NewRecord) -> std::result::Result<(), ValidationError> {
        let _ = input;
        Ok(())
    }

    /// Object-specific checks of a change to a record (an update, or an upsert), on top of
    /// those every object gets: for example that a required property is not cleared with `""`.
    fn validate_update(update: &RecordUpdate) -> std::result::Result<(), ValidationError> {
        let _ = update;
        Ok(())
    }

    /// The association type [`Objects::associate`] uses towards `to_object_type`; `None` (the
    /// default) uses HubSpot's default association between the two types.
    fn association_type(to_object_type: &str) -> Option<AssociationType> {
        let _ = to_object_type;
        None
    }
}

/// HubSpot contacts (`0-1`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Contact;

impl CrmObject for Contact {
    const OBJECT_TYPE: &'static str = "contacts";
    const OBJECT_TYPE_ID: &'static str = "0-1";
    const LAST_MODIFIED_PROPERTY: &'static str = "lastmodifieddate";
}

/// HubSpot companies (`0-2`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Company;

impl CrmObject for Company {
    const OBJECT_TYPE: &'static str = "companies";
    const OBJECT_TYPE_ID: &'static str = "0-2";
}

/// Records of an object type named at run time ([`Client::objects_of`]); only the checks
/// every object gets apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AnyObject;

impl CrmObject for AnyObject {
    // Never used as a path: `Client::objects_of` gives the type.
    const OBJECT_TYPE: &'static str = "";
    const OBJECT_TYPE_ID: &'static str = "";
}

impl Client {
    /// The operations of object type `O`, e.g. `client.objects::<Deal>()`.
    pub fn objects<O: CrmObject>(&self) -> Objects<O> {
        Objects::new(self.clone(), O::OBJECT_TYPE)
    }

    /// The operations of an object type named at run time: a name (`deals`) or a type id
    /// (`0-3`, or a custom object's `2-1234567`).
    pub fn objects_of(&self, object_type: &str) -> Result<Objects<AnyObject>> {
        check_object_type("objectType", object_type)?;
        Ok(Objects::new(self.clone(), object_type))
    }

    /// The operations of object type `O` on a type given at run time: a type id from
    /// configuration (`2-1234567`) or any name HubSpot takes in a path (`p_cars`). `O`'s
    /// rules ([`CrmObject::validate_new`], its default properties, association types) apply
    /// as with [`Self::objects`]; only the type addressed differs. A malformed type is
    /// refused as [`Self::objects_of`] refuses it.
    pub fn objects_as<O: CrmObject>(&self, object_type: &str) -> Result<Objects<O>> {
        check_object_type("objectType", object_type)?;
        Ok(Objects::new(self.clone(), object_type))
    }

    /// The operations of object type `O` on the custom object type `name` stands for in
    /// this account (a schema's name, `p_<name>` or fully qualified name, see
    /// [`Schemas::type_id`](crate::Schemas::type_id)): [`Self::objects_as`] with the type id
    /// found by name, so records are addressed by `2-N` with `O`'s rules. Fails with
    /// [`Error::UnknownObjectType`] if no schema has that name.
    pub async fn objects_named<O: CrmObject>(&self, name: &str) -> Result<Objects<O>> {
        let type_id = self.schemas().type_id(name).await?;
        self.objects_as(&type_id)
    }

    /// Contacts.
    pub fn contacts(&self) -> Objects<Contact> {
        self.objects()
    }

    /// Companies.
    pub fn companies(&self) -> Objects<Company> {
        self.objects()
    }
}

/// Sends operation `$op` through the objects module of the client's version: `$build`
/// finishes the builder `$b` (query and body), which already names the object type and, with
/// `id = ...`, the record id. `$finish` turns the result `$answer` into the crate's type; it is
/// written once and checked against each version's answer type.
macro_rules! send {
    ($api:expr, $object_type:expr, $op:ident $(, id = $id:expr)?;
     |$b:ident| $build:expr; |$answer:ident| $finish:expr) => {
        on_version!($api, |api| {
            let $b = api.$op().object_type($object_type) $(.object_id($id))?;
            let $answer = $build.send().await;
            $finish
        })
    };
}

/// A batch answer of any version as a [`BatchResponse`]; a macro, since the versions' answer
/// types differ and only their field names agree.
macro_rules! batch_answer {
    ($call:expr, $answer:expr, $inputs:expr) => {{
        let answer = $call.finish($answer, $inputs)?;
        Ok(BatchResponse::new(
            $call.status(),
            answer.results,
            answer.errors,
        ))
    }};
}

/// The operations every CRM object type has, for one type `O`: validated single-record calls
/// here, bulk operations of any size and streams in their own modules. Get one from
/// [`Client::objects`], [`Client::objects_as`] or [`Client::objects_named`] (a type given at
/// run time), [`Client::objects_of`], [`Client::leads`], [`Client::contacts`] or
/// [`Client::companies`].
#[derive(Debug)]
pub struct Objects<O> {
    client: Client,
    object_type: Arc<str>,
    /// The handle's own choice of account checks; `None` follows the client's.
    account_checks: Option<bool>,
    _object: PhantomData<fn() -> O>,
}

impl<O> Clone for Objects<O> {
    fn clone(&self) -> Self {
        Objects {
            client: self.client.clone(),
            object_type: self.object_type.clone(),
            account_checks: self.account_checks,
            _object: PhantomData,
        }
    }
}

impl<O: CrmObject> Objects<O> {
    fn new(client: Client, object_type: &str) -> Self {
        Objects {
            client,
            object_type: object_type.into(),
            account_checks: None,
            _object: PhantomData,
        }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The object type requests name, e.g. `deals` or `2-1234567`.
    pub fn object_type(&self) -> &str {
        &self.object_type
    }

    pub(crate) fn set_account_checks(&mut self, on: bool) {
        self.account_checks = Some(on);
    }

    pub(crate) fn account_checks_choice(&self) -> Option<bool> {
        self.account_checks
    }

    /// Checks the handle's object type, which goes into every path.
    pub(crate) fn check_type(&self) -> std::result::Result<(), ValidationError> {
        check_object_type("objectType", &self.object_type)
    }

    async fn start(&self) -> Result<(Arc<Call>, Versioned<family::Objects>)> {
        self.check_type()?;
        self.client.start::<family::Objects>().await
    }

    /// The properties to ask for: the caller's (after every property the account defines,
    /// with `all_properties`), else the object type's defaults.
    async fn property_names(&self, options: &ReadOptions) -> Result<Vec<String>> {
        if options.all_properties {
            let definitions = self
                .client
                .properties()
                .definitions(&self.object_type)
                .await?;
            let defined = definitions.iter().map(|d| d.name.clone());
            let others = options
                .properties
                .iter()
                .filter(|p| definitions.get(p).is_none())
                .cloned();
            return Ok(defined.chain(others).collect());
        }
        Ok(if options.properties.is_empty() {
            O::DEFAULT_PROPERTIES
                .iter()
                .map(|p| (*p).to_owned())
                .collect()
        } else {
            options.properties.clone()
        })
    }

    /// Which of the read's property lists fit into its GET beside the `others` parameters
    /// (see [`query_budget`] and `long_lists`); `field` is blamed when those leave no room.
    async fn split_lists(
        &self,
        others: QueryLength,
        field: &str,
        options: &ReadOptions,
    ) -> Result<Split> {
        self.check_type()?;
        let properties = self.property_names(options).await?;
        let history = options.properties_with_history.clone();
        let budget = self.client.max_query_length();
        Ok(query_budget::split(
            others, properties, history, budget, field,
        )?)
    }

    async fn send_get(&self, id: &str, options: &ReadOptions) -> Result<Record> {
        let associations = comma_list(&options.associations);
        let others = QueryLength::of(&[
            ("archived", Some(bool_text(options.archived))),
            ("associations", associations.as_deref()),
            ("idProperty", options.id_property.as_deref()),
        ]);
        let field = match associations {
            None => "idProperty",
            Some(_) => "associations",
        };
        let split = self.split_lists(others, field, options).await?;
        let (call, api) = self.start().await?;
        let properties = comma_list(&split.properties);
        let history = comma_list(&split.history);
        let record = send!(api, &*self.object_type, get, id = id; |b| {
            let mut b = b.archived(options.archived);
            if let Some(list) = properties { b = b.properties(list); }
            if let Some(list) = history { b = b.properties_with_history(list); }
            if let Some(list) = associations { b = b.associations(list); }
            if let Some(p) = &options.id_property { b = b.id_property(p.clone()); }
            b
        }; |answer| call.finish(answer, Vec::new).map(Record::from))?;
        if split.is_whole() {
            return Ok(record);
        }
        self.complete_record(record, &split, options.archived).await
    }

    pub(crate) async fn send_list(
        &self,
        options: &ReadOptions,
        limit: Option<u32>,
        after: Option<&str>,
    ) -> Result<Page<Record>> {
        // Streams page through here: every page is checked, not only a first one.
        read_options(options, false)?;
        after_cursor(after)?;
        let associations = comma_list(&options.associations);
        let limit_text = limit.map(|l| l.to_string());
        let others = QueryLength::of(&[
            ("after", after),
            ("archived", Some(bool_text(options.archived))),
            ("associations", associations.as_deref()),
            ("limit", limit_text.as_deref()),
        ]);
        let field = match associations {
            None => "after",
            Some(_) => "associations",
        };
        let split = self.split_lists(others, field, options).await?;
        let (call, api) = self.start().await?;
        let properties = comma_list(&split.properties);
        let history = comma_list(&split.history);
        let page = send!(api, &*self.object_type, list; |b| {
            let mut b = b.archived(options.archived);
            if let Some(limit) = limit { b = b.limit(limit as i32); }
            if let Some(after) = after { b = b.after(after.to_owned()); }
            if let Some(list) = properties { b = b.properties(list); }
            if let Some(list) = history { b = b.properties_with_history(list); }
            if let Some(list) = associations { b = b.associations(list); }
            b
        }; |answer| {
            let page = call.finish(answer, Vec::new)?;
            Ok::<_, Error>(Page {
                next_after: page.paging.and_then(|p| p.next).map(|n| n.after),
                results: page.results.into_iter().map(Record::from).collect(),
                total: None,
            })
        })?;
        if split.is_whole() {
            return Ok(page);
        }
        self.complete_page(page, &split, options.archived).await
    }

    async fn send_create(&self, input: NewRecord) -> Result<Record> {
        let label = describe_input(&input, 0);
        let input = input.into_input();
        let body = SimplePublicObjectInputForCreate {
            associations: input.associations,
            properties: input.properties,
        };
        let (call, api) = self.start().await?;
        send!(api, &*self.object_type, create; |b| b.body(body);
            |answer| call.finish(answer, || vec![label]).map(Record::from))
    }

    async fn send_update(&self, update: RecordUpdate) -> Result<Record> {
        let update = update.into_input();
        let (call, api) = self.start().await?;
        let body = SimplePublicObjectInput {
            properties: update.properties,
        };
        let id_property = update.id_property;
        send!(api, &*self.object_type, update, id = update.id.as_str(); |b| {
            let mut b = b.body(body);
            if let Some(p) = id_property { b = b.id_property(p); }
            b
        }; |answer| call.finish(answer, Vec::new).map(Record::from))
    }

    async fn send_archive(&self, id: &str) -> Result<()> {
        let (call, api) = self.start().await?;
        send!(api, &*self.object_type, archive, id = id; |b| b;
            |answer| call.finish(answer, Vec::new))
    }

    pub(crate) async fn send_search(&self, request: &SearchRequest) -> Result<Page<Record>> {
        let defaults = self.property_names(&ReadOptions::default()).await?;
        let body = search_body(request, &defaults);
        let (call, api) = self.start().await?;
        send!(api, &*self.object_type, search; |b| b.body(body); |answer| {
            let page = call.finish(answer, Vec::new)?;
            Ok(Page {
                next_after: page.paging.and_then(|p| p.next).map(|n| n.after),
                results: page.results.into_iter().map(Record::from).collect(),
                total: Some(page.total.max(0) as u64),
            })
        })
    }

    /// `POST /batch/read`: one request of at most 100 ids (50 with history).
    pub(crate) async fn send_batch_read(
        &self,
        ids: Vec<String>,
        options: &ReadOptions,
    ) -> Result<BatchResponse> {
        let body = BatchReadInputSimplePublicObjectId {
            id_property: options.id_property.clone(),
            inputs: ids
                .into_iter()
                .map(|id| SimplePublicObjectId { id })
                .collect(),
            properties: self.property_names(options).await?,
            properties_with_history: options.properties_with_history.clone(),
        };
        self.send_batch_read_body(body, options.archived).await
    }

    /// `POST /batch/read` of `ids` by record id with these lists, as they are.
    pub(crate) async fn send_batch_read_lists(
        &self,
        ids: Vec<String>,
        properties: Vec<String>,
        properties_with_history: Vec<String>,
        archived: bool,
    ) -> Result<BatchResponse> {
        let body = BatchReadInputSimplePublicObjectId {
            id_property: None,
            inputs: ids
                .into_iter()
                .map(|id| SimplePublicObjectId { id })
                .collect(),
            properties,
            properties_with_history,
        };
        self.send_batch_read_body(body, archived).await
    }

    async fn send_batch_read_body(
        &self,
        body: BatchReadInputSimplePublicObjectId,
        archived: bool,
    ) -> Result<BatchResponse> {
        let (call, api) = self.start().await?;
        send!(api, &*self.object_type, batch_read; |b| b.archived(archived).body(body);
            |answer| batch_answer!(call, answer, Vec::new))
    }

    /// `POST /batch/create`: one request of at most 100 inputs.
    pub(crate) async fn send_batch_create(&self, inputs: Vec<NewRecord>) -> Result<BatchResponse> {
        let labels: Vec<String> = inputs
            .iter()
            .enumerate()
            .map(|(i, input)| describe_input(input, i))
            .collect();
        let body = BatchInputSimplePublicObjectBatchInputForCreate {
            inputs: inputs.into_iter().map(NewRecord::into_input).collect(),
        };
        let (call, api) = self.start().await?;
        send!(api, &*self.object_type, batch_create; |b| b.body(body);
            |answer| batch_answer!(call, answer, || labels))
    }

    /// `POST /batch/update`: one request of at most 100 inputs.
    pub(crate) async fn send_batch_update(
        &self,
        inputs: Vec<RecordUpdate>,
    ) -> Result<BatchResponse> {
        let body = BatchInputSimplePublicObjectBatchInput {
            inputs: inputs.into_iter().map(RecordUpdate::into_input).collect(),
        };
        let (call, api) = self.start().await?;
        send!(api, &*self.object_type, batch_update; |b| b.body(body);
            |answer| batch_answer!(call, answer, Vec::new))
    }

    /// `POST /batch/upsert`: one request of at most 100 inputs.
    pub(crate) async fn send_batch_upsert(
        &self,
        inputs: Vec<RecordUpdate>,
    ) -> Result<BatchResponse> {
        let body = BatchInputSimplePublicObjectBatchInputUpsert {
            inputs: inputs
                .into_iter()
                .map(|u| {
                    let u = u.into_input();
                    SimplePublicObjectBatchInputUpsert {
                        id: u.id,
                        id_property: u.id_property,
                        object_write_trace_id: u.object_write_trace_id,
                        properties: u.properties,
                    }
                })
                .collect(),
        };
        let (call, api) = self.start().await?;
        send!(api, &*self.object_type, batch_upsert; |b| b.body(body);
            |answer| batch_answer!(call, answer, Vec::new))
    }

    /// `POST /batch/archive`: one request of at most 100 ids.
    pub(crate) async fn send_batch_archive(&self, ids: Vec<String>) -> Result<()> {
        let body = BatchInputSimplePublicObjectId {
            inputs: ids
                .into_iter()
                .map(|id| SimplePublicObjectId { id })
                .collect(),
        };
        let (call, api) = self.start().await?;
        send!(api, &*self.object_type, batch_archive; |b| b.body(body);
            |answer| call.finish(answer, Vec::new))
    }
}

/// A flag as a query string sends it.
fn bool_text(flag: bool) -> &'static str {
    if flag { "true" } else { "false" }
}

/// The generated search body of `request`; `default_properties` when it names none.
fn search_body(
    request: &SearchRequest,
    default_properties: &[String],
) -> PublicObjectSearchRequest {
    let mut body = request.as_body().clone();
    if body.properties.is_empty() {
        body.properties = default_properties.to_vec();
    }
    body
}

/// Names a create input in an outcome-unknown error: its trace id, or its position.
pub(crate) fn describe_input(input: &NewRecord, index: usize) -> String {
    match &input.object_write_trace_id {
        Some(trace) => format!("objectWriteTraceId {trace}"),
        None => format!("input {index}"),
    }
}

impl<O: CrmObject> Objects<O> {
    /// Reads a record with HubSpot's default properties.
    pub async fn get(&self, id: &str) -> Result<Record> {
        self.get_with(id, &ReadOptions::default()).await
    }

    /// Reads a record with the given properties, history and associations. A requested
    /// property without a value is `None`.
    ///
    /// Lists too long for one URL ([`ClientBuilder::max_query_length`](crate::ClientBuilder::max_query_length))
    /// are read in two parts: a GET with the first names that fit, then a batch read of the
    /// rest, merged into the one record (what both answer, and `updatedAt`, as the GET
    /// answered). A record archived between the two is a 404, as a read a moment later.
    pub async fn get_with(&self, id: &str, options: &ReadOptions) -> Result<Record> {
        validate_path_address(id, options.id_property.as_deref())?;
        read_options(options, true)?;
        self.send_get(id, options).await
    }

    /// Reads one page of records (`limit` at most 100, `after` from the previous page). A
    /// list addresses no record: `options.id_property` is rejected.
    ///
    /// Lists too long for one URL ([`ClientBuilder::max_query_length`](crate::ClientBuilder::max_query_length))
    /// are read in parts, as [`Self::get_with`] reads them: the page with the first names that
    /// fit, then batch reads of its ids for the rest (100 a request, 50 with history), merged
    /// by id. A record those no longer find (archived since the page was read) is left out of
    /// the page with a warning, as a list a moment later would leave it out. Streams
    /// ([`Self::list_stream`]) read every page so.
    pub async fn list_page(
        &self,
        options: &ReadOptions,
        limit: Option<u32>,
        after: Option<&str>,
    ) -> Result<Page<Record>> {
        if let Some(limit) = limit
            && !(1..=100).contains(&limit)
        {
            return Err(
                ValidationError::new("limit", format!("{limit} is outside 1..=100")).into(),
            );
        }
        self.send_list(options, limit, after).await
    }

    /// Creates a record after checking it.
    pub async fn create(&self, input: NewRecord) -> Result<Record> {
        validate_new_common(&input)?;
        O::validate_new(&input)?;
        let checks = self.account_checks_for([&input.properties]).await?;
        check_write(checks.as_ref(), &input.properties)?;
        self.send_create(input).await
    }

    /// Changes a record's properties (an empty string clears a value).
    pub async fn update(&self, update: RecordUpdate) -> Result<Record> {
        validate_path_address(&update.id, update.id_property.as_deref())?;
        if update.properties.is_empty() {
            return Err(ValidationError::new("properties", "nothing to update").into());
        }
        property_map_names(&update.properties)?;
        O::validate_update(&update)?;
        let checks = self.account_checks_for([&update.properties]).await?;
        check_write(checks.as_ref(), &update.properties)?;
        self.send_update(update).await
    }

    /// Moves a record to the recycling bin.
    pub async fn archive(&self, id: &str) -> Result<()> {
        validate_record_id("id", id)?;
        self.send_archive(id).await
    }

    /// One page of a search, after checking it against HubSpot's limits; `after` must be an
    /// offset inside the 10,000-result window ([`Objects::search_stream`] reads past it).
    pub async fn search_page(&self, request: &SearchRequest) -> Result<Page<Record>> {
        validate::search_page(request.as_body())?;
        self.send_search(request).await
    }

    /// Associates record `id` with record `to_id` of `to_object_type`: with
    /// [`CrmObject::association_type`] for that type, else HubSpot's default association.
    pub async fn associate(&self, id: &str, to_object_type: &str, to_id: &str) -> Result<()> {
        let associations = self.client.associations();
        match O::association_type(to_object_type) {
            Some(t) => associations
                .associate(&self.object_type, id, to_object_type, to_id, &[t])
                .await
                .map(|_| ()),
            None => associations
                .associate_default(&self.object_type, id, to_object_type, to_id)
                .await
                .map(|_| ()),
        }
    }
}
