//! The generic CRM-object layer: one trait per object type over its generated module, and
//! [`Objects`], the ergonomic handle every object type shares.

use futures::future::BoxFuture;

use crate::client::Client;
use std::marker::PhantomData;

use crate::error::{Result, ValidationError};
use crate::model::{BatchResponse, NewRecord, Page, ReadOptions, Record, RecordUpdate};
use crate::search::SearchRequest;

/// A CRM object type backed by a generated module of `hubspot-crm-api`.
///
/// Implement it with [`crm_object!`](crate::crm_object) for any object whose spec is in
/// `specs/manifest.toml` (HubSpot's v3 object specs all share one shape). Each method sends
/// exactly one request; validation, chunking and paging live in [`Objects`].
pub trait CrmObject: Send + Sync + 'static {
    /// HubSpot's object type name, e.g. `leads`.
    const OBJECT_TYPE: &'static str;
    /// HubSpot's object type id, e.g. `0-136`.
    const OBJECT_TYPE_ID: &'static str;

    /// Checks a record to create before it is sent (object-specific rules).
    fn validate_new(input: &NewRecord) -> std::result::Result<(), ValidationError> {
        validate_new_common(input)
    }

    /// `GET /{id}`.
    fn get<'a>(
        client: &'a Client,
        id: &'a str,
        options: &'a ReadOptions,
    ) -> BoxFuture<'a, Result<Record>>;
    /// `GET /` one page.
    fn list<'a>(
        client: &'a Client,
        options: &'a ReadOptions,
        limit: Option<u32>,
        after: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Page<Record>>>;
    /// `POST /`.
    fn create(client: &Client, input: NewRecord) -> BoxFuture<'_, Result<Record>>;
    /// `PATCH /{id}`.
    fn update(client: &Client, input: RecordUpdate) -> BoxFuture<'_, Result<Record>>;
    /// `DELETE /{id}`.
    fn archive<'a>(client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<()>>;
    /// `POST /batch/read`.
    fn batch_read<'a>(
        client: &'a Client,
        ids: Vec<String>,
        options: &'a ReadOptions,
    ) -> BoxFuture<'a, Result<BatchResponse>>;
    /// `POST /batch/create`.
    fn batch_create(
        client: &Client,
        inputs: Vec<NewRecord>,
    ) -> BoxFuture<'_, Result<BatchResponse>>;
    /// `POST /batch/update`.
    fn batch_update(
        client: &Client,
        inputs: Vec<RecordUpdate>,
    ) -> BoxFuture<'_, Result<BatchResponse>>;
    /// `POST /batch/upsert`.
    fn batch_upsert(
        client: &Client,
        inputs: Vec<RecordUpdate>,
    ) -> BoxFuture<'_, Result<BatchResponse>>;
    /// `POST /batch/archive`.
    fn batch_archive(client: &Client, ids: Vec<String>) -> BoxFuture<'_, Result<()>>;
    /// `POST /search` one page.
    fn search<'a>(
        client: &'a Client,
        request: &'a SearchRequest,
    ) -> BoxFuture<'a, Result<Page<Record>>>;
}

/// Implements [`CrmObject`] for a marker type over a generated module.
///
/// ```ignore
/// hubspot_crm::crm_object!(
///     /// Deals.
///     Deal, deals, "deals", "0-3", deal_id
/// );
/// ```
/// The arguments: the marker type, the module of `hubspot-crm-api`, HubSpot's object type name
/// and id, and the generated builder method that sets the record id in the path.
#[macro_export]
macro_rules! crm_object {
    ($(#[$meta:meta])* $marker:ident, $module:ident, $name:literal, $type_id:literal, $id_param:ident $(; $($rules:item)*)?) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $marker;

        const _: () = {
            use $crate::__private::{api::$module as m, *};

            fn call_name(op: &str) -> String {
                format!("{}.{}", $name, op)
            }

            async fn start(client: &Client) -> Result<(Arc<Call>, m::Client)> {
                client.start_call(m::Client::new_with_client).await
            }

            fn history(h: BTreeMap<String, Option<Vec<m::types::ValueWithTimestamp>>>) -> BTreeMap<String, Vec<PropertyValue>> {
                h.into_iter()
                    .map(|(name, values)| {
                        let values = values
                            .unwrap_or_default()
                            .into_iter()
                            .map(|v| PropertyValue {
                                value: v.value,
                                timestamp: v.timestamp,
                                source_type: v.source_type,
                                source_id: v.source_id,
                                source_label: v.source_label,
                                updated_by_user_id: v.updated_by_user_id.map(i64::from),
                            })
                            .collect();
                        (name, values)
                    })
                    .collect()
            }

            macro_rules! record {
                ($o:expr, $assoc:expr, $new:expr) => {{
                    let o = $o;
                    Record {
                        id: o.id,
                        properties: o.properties,
                        properties_with_history: history(o.properties_with_history),
                        associations: $assoc,
                        created_at: o.created_at,
                        updated_at: o.updated_at,
                        archived: o.archived,
                        archived_at: o.archived_at,
                        new: $new,
                        object_write_trace_id: o.object_write_trace_id,
                    }
                }};
            }

            impl From<m::types::SimplePublicObject> for Record {
                fn from(o: m::types::SimplePublicObject) -> Record {
                    record!(o, BTreeMap::new(), None)
                }
            }

            impl From<m::types::SimplePublicObjectWithAssociations> for Record {
                fn from(mut o: m::types::SimplePublicObjectWithAssociations) -> Record {
                    let associations = std::mem::take(&mut o.associations)
                        .into_iter()
                        .map(|(kind, list)| {
                            let ids = list
                                .results
                                .into_iter()
                                .map(|a| AssociatedRecord { id: a.id, association_type: a.type_ })
                                .collect();
                            (kind, ids)
                        })
                        .collect();
                    record!(o, associations, None)
                }
            }

            impl From<m::types::SimplePublicUpsertObject> for Record {
                fn from(o: m::types::SimplePublicUpsertObject) -> Record {
                    let new = Some(o.new);
                    record!(o, BTreeMap::new(), new)
                }
            }

            fn batch_errors(errors: Vec<m::types::StandardError>) -> Vec<BatchItemError> {
                errors
                    .into_iter()
                    .map(|e| BatchItemError {
                        status: e.status,
                        category: e.category,
                        message: e.message,
                        context: e.context,
                        errors: e
                            .errors
                            .into_iter()
                            .map(|d| detail(d.message, d.code, d.in_, d.sub_category, d.context))
                            .collect(),
                    })
                    .collect()
            }

            fn to_enum<T: serde::de::DeserializeOwned>(field: &str, value: &str) -> Result<T> {
                serde_json::from_value(serde_json::Value::String(value.to_owned()))
                    .map_err(|_| Error::Validation(ValidationError::new(field, format!("`{value}` is not supported by this client"))))
            }

            fn associations(list: Vec<NewAssociation>) -> Result<Vec<m::types::PublicAssociationsForObject>> {
                list.into_iter()
                    .map(|a| {
                        let types = a
                            .types
                            .into_iter()
                            .map(|t| {
                                Ok(m::types::AssociationSpec {
                                    association_category: to_enum("associations.types.associationCategory", t.category.as_str())?,
                                    association_type_id: t.type_id,
                                })
                            })
                            .collect::<Result<Vec<_>>>()?;
                        Ok(m::types::PublicAssociationsForObject { to: m::types::PublicObjectId { id: a.to_id }, types })
                    })
                    .collect()
            }

            fn batch_response(status: String, results: Vec<Record>, errors: Vec<m::types::StandardError>) -> BatchResponse {
                BatchResponse { status, results, errors: batch_errors(errors) }
            }

            impl CrmObject for $marker {
                const OBJECT_TYPE: &'static str = $name;
                const OBJECT_TYPE_ID: &'static str = $type_id;
                $($($rules)*)?

                fn get<'a>(client: &'a Client, id: &'a str, options: &'a ReadOptions) -> BoxFuture<'a, Result<Record>> {
                    Box::pin(async move {
                        let (call, api) = start(client).await?;
                        let mut request = api.get().$id_param(id).archived(options.archived);
                        if let Some(list) = comma_list(&options.properties) { request = request.properties(list); }
                        if let Some(list) = comma_list(&options.properties_with_history) { request = request.properties_with_history(list); }
                        if let Some(list) = comma_list(&options.associations) { request = request.associations(list); }
                        if let Some(p) = &options.id_property { request = request.id_property(p.clone()); }
                        call.finish(&call_name("get"), request.send().await, Vec::new).map(Record::from)
                    })
                }

                fn list<'a>(client: &'a Client, options: &'a ReadOptions, limit: Option<u32>, after: Option<&'a str>) -> BoxFuture<'a, Result<Page<Record>>> {
                    Box::pin(async move {
                        let (call, api) = start(client).await?;
                        let mut request = api.list().archived(options.archived);
                        if let Some(limit) = limit { request = request.limit(limit as i32); }
                        if let Some(after) = after { request = request.after(after.to_owned()); }
                        if let Some(list) = comma_list(&options.properties) { request = request.properties(list); }
                        if let Some(list) = comma_list(&options.properties_with_history) { request = request.properties_with_history(list); }
                        if let Some(list) = comma_list(&options.associations) { request = request.associations(list); }
                        let page = call.finish(&call_name("list"), request.send().await, Vec::new)?;
                        Ok(Page {
                            next_after: page.paging.and_then(|p| p.next).map(|n| n.after),
                            results: page.results.into_iter().map(Record::from).collect(),
                            total: None,
                        })
                    })
                }

                fn create(client: &Client, input: NewRecord) -> BoxFuture<'_, Result<Record>> {
                    Box::pin(async move {
                        let label = describe_input(&input, 0);
                        let body = m::types::SimplePublicObjectInputForCreate {
                            associations: associations(input.associations)?,
                            properties: input.properties,
                        };
                        let (call, api) = start(client).await?;
                        call.finish(&call_name("create"), api.create().body(body).send().await, || vec![label]).map(Record::from)
                    })
                }

                fn update(client: &Client, input: RecordUpdate) -> BoxFuture<'_, Result<Record>> {
                    Box::pin(async move {
                        let (call, api) = start(client).await?;
                        let mut request = api
                            .update()
                            .$id_param(input.id.as_str())
                            .body(m::types::SimplePublicObjectInput { properties: input.properties });
                        if let Some(p) = input.id_property { request = request.id_property(p); }
                        call.finish(&call_name("update"), request.send().await, Vec::new).map(Record::from)
                    })
                }

                fn archive<'a>(client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<()>> {
                    Box::pin(async move {
                        let (call, api) = start(client).await?;
                        call.finish(&call_name("archive"), api.archive().$id_param(id).send().await, Vec::new)
                    })
                }

                fn batch_read<'a>(client: &'a Client, ids: Vec<String>, options: &'a ReadOptions) -> BoxFuture<'a, Result<BatchResponse>> {
                    Box::pin(async move {
                        let (call, api) = start(client).await?;
                        let body = m::types::BatchReadInputSimplePublicObjectId {
                            id_property: options.id_property.clone(),
                            inputs: ids.into_iter().map(|id| m::types::SimplePublicObjectId { id }).collect(),
                            properties: options.properties.clone(),
                            properties_with_history: options.properties_with_history.clone(),
                        };
                        let request = api.batch_read().archived(options.archived).body(body);
                        let r = call.finish(&call_name("batch_read"), request.send().await, Vec::new)?;
                        Ok(batch_response(r.status, r.results.into_iter().map(Record::from).collect(), r.errors))
                    })
                }

                fn batch_create(client: &Client, inputs: Vec<NewRecord>) -> BoxFuture<'_, Result<BatchResponse>> {
                    Box::pin(async move {
                        let labels: Vec<String> = inputs.iter().enumerate().map(|(i, input)| describe_input(input, i)).collect();
                        let inputs = inputs
                            .into_iter()
                            .map(|input| {
                                Ok(m::types::SimplePublicObjectBatchInputForCreate {
                                    associations: associations(input.associations)?,
                                    object_write_trace_id: input.object_write_trace_id,
                                    properties: input.properties,
                                })
                            })
                            .collect::<Result<Vec<_>>>()?;
                        let (call, api) = start(client).await?;
                        let body = m::types::BatchInputSimplePublicObjectBatchInputForCreate { inputs };
                        let r = call.finish(&call_name("batch_create"), api.batch_create().body(body).send().await, || labels)?;
                        Ok(batch_response(r.status, r.results.into_iter().map(Record::from).collect(), r.errors))
                    })
                }

                fn batch_update(client: &Client, inputs: Vec<RecordUpdate>) -> BoxFuture<'_, Result<BatchResponse>> {
                    Box::pin(async move {
                        let (call, api) = start(client).await?;
                        let inputs = inputs
                            .into_iter()
                            .map(|u| m::types::SimplePublicObjectBatchInput {
                                id: u.id,
                                id_property: u.id_property,
                                object_write_trace_id: u.object_write_trace_id,
                                properties: u.properties,
                            })
                            .collect();
                        let body = m::types::BatchInputSimplePublicObjectBatchInput { inputs };
                        let r = call.finish(&call_name("batch_update"), api.batch_update().body(body).send().await, Vec::new)?;
                        Ok(batch_response(r.status, r.results.into_iter().map(Record::from).collect(), r.errors))
                    })
                }

                fn batch_upsert(client: &Client, inputs: Vec<RecordUpdate>) -> BoxFuture<'_, Result<BatchResponse>> {
                    Box::pin(async move {
                        let (call, api) = start(client).await?;
                        let inputs = inputs
                            .into_iter()
                            .map(|u| m::types::SimplePublicObjectBatchInputUpsert {
                                id: u.id,
                                id_property: u.id_property,
                                object_write_trace_id: u.object_write_trace_id,
                                properties: u.properties,
                            })
                            .collect();
                        let body = m::types::BatchInputSimplePublicObjectBatchInputUpsert { inputs };
                        let r = call.finish(&call_name("batch_upsert"), api.batch_upsert().body(body).send().await, Vec::new)?;
                        Ok(batch_response(r.status, r.results.into_iter().map(Record::from).collect(), r.errors))
                    })
                }

                fn batch_archive(client: &Client, ids: Vec<String>) -> BoxFuture<'_, Result<()>> {
                    Box::pin(async move {
                        let (call, api) = start(client).await?;
                        let body = m::types::BatchInputSimplePublicObjectId {
                            inputs: ids.into_iter().map(|id| m::types::SimplePublicObjectId { id }).collect(),
                        };
                        call.finish(&call_name("batch_archive"), api.batch_archive().body(body).send().await, Vec::new)
                    })
                }

                fn search<'a>(client: &'a Client, request: &'a SearchRequest) -> BoxFuture<'a, Result<Page<Record>>> {
                    Box::pin(async move {
                        let filter_groups = request
                            .filter_groups
                            .iter()
                            .map(|g| {
                                let filters = g
                                    .filters
                                    .iter()
                                    .map(|f| {
                                        Ok(m::types::Filter {
                                            high_value: f.high_value.clone(),
                                            operator: to_enum("operator", f.operator.as_str())?,
                                            property_name: f.property_name.clone(),
                                            value: f.value.clone(),
                                            values: f.values.clone(),
                                        })
                                    })
                                    .collect::<Result<Vec<_>>>()?;
                                Ok(m::types::FilterGroup { filters })
                            })
                            .collect::<Result<Vec<_>>>()?;
                        let sorts = request
                            .sorts
                            .iter()
                            .map(|s| {
                                let direction = match s.direction {
                                    Direction::Ascending => "ASCENDING",
                                    Direction::Descending => "DESCENDING",
                                };
                                Ok(m::types::PublicObjectSearchRequestSortsItem {
                                    direction: Some(to_enum("sorts.direction", direction)?),
                                    property_name: s.property_name.clone(),
                                })
                            })
                            .collect::<Result<Vec<_>>>()?;
                        let body = m::types::PublicObjectSearchRequest {
                            after: request.after.clone(),
                            filter_groups,
                            limit: request.limit.map(|l| l as i32),
                            properties: request.properties.clone(),
                            query: request.query.clone(),
                            sorts,
                        };
                        let (call, api) = start(client).await?;
                        let page = call.finish(&call_name("search"), api.search().body(body).send().await, Vec::new)?;
                        Ok(Page {
                            next_after: page.paging.and_then(|p| p.next).map(|n| n.after),
                            results: page.results.into_iter().map(Record::from).collect(),
                            total: Some(page.total.max(0) as u64),
                        })
                    })
                }
            }
        };
    };
}

/// Names a create input in an outcome-unknown error: its trace id, or its position.
#[doc(hidden)]
pub fn describe_input(input: &NewRecord, index: usize) -> String {
    match &input.object_write_trace_id {
        Some(trace) => format!("objectWriteTraceId {trace}"),
        None => format!("input {index}"),
    }
}

crm_object!(
    /// HubSpot leads (`0-136`).
    Lead, leads, "leads", "0-136", leads_id;
    fn validate_new(input: &NewRecord) -> std::result::Result<(), ValidationError> {
        crate::leads::validate_new_lead(input)
    }
);
crm_object!(
    /// HubSpot contacts (`0-1`).
    Contact, contacts, "contacts", "0-1", contact_id
);
crm_object!(
    /// HubSpot companies (`0-2`).
    Company, companies, "companies", "0-2", company_id
);

/// Checks every object's create input: association target ids are record ids, and each
/// association names at least one type.
pub fn validate_new_common(input: &NewRecord) -> std::result::Result<(), ValidationError> {
    for (i, association) in input.associations.iter().enumerate() {
        validate_record_id(&format!("associations[{i}].to.id"), &association.to_id)?;
        if association.types.is_empty() {
            return Err(ValidationError::new(
                format!("associations[{i}].types"),
                "needs at least one association type",
            ));
        }
    }
    for name in input.properties.keys() {
        if name.trim().is_empty() {
            return Err(ValidationError::new(
                "properties",
                "a property name is blank",
            ));
        }
    }
    Ok(())
}

/// HubSpot record ids are positive integers, sent as strings.
pub fn validate_record_id(field: &str, id: &str) -> std::result::Result<(), ValidationError> {
    if id.is_empty()
        || id.len() > 20
        || !id.bytes().all(|b| b.is_ascii_digit())
        || id.bytes().all(|b| b == b'0')
    {
        return Err(ValidationError::new(
            field,
            format!("`{id}` is not a HubSpot record id (a positive integer)"),
        ));
    }
    Ok(())
}

/// Validates the id of a single-record call: a record id, or any non-blank value of a unique
/// property when `id_property` is set.
pub(crate) fn validate_address(
    id: &str,
    id_property: Option<&str>,
) -> std::result::Result<(), ValidationError> {
    match id_property {
        Some(property) if property.trim().is_empty() => {
            Err(ValidationError::new("idProperty", "must not be blank"))
        }
        Some(_) if id.trim().is_empty() => Err(ValidationError::new("id", "must not be blank")),
        Some(_) => Ok(()),
        None => validate_record_id("id", id),
    }
}

/// The operations every CRM object type has, for one type `O`: validated single-record calls
/// here, bulk operations of any size and streams in their own modules.
#[derive(Clone, Debug)]
pub struct Objects<O> {
    client: Client,
    _object: PhantomData<fn() -> O>,
}

impl<O: CrmObject> Objects<O> {
    /// The operations of `O` through `client`.
    pub fn new(client: Client) -> Self {
        Objects {
            client,
            _object: PhantomData,
        }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads a record with HubSpot's default properties.
    pub async fn get(&self, id: &str) -> Result<Record> {
        self.get_with(id, &ReadOptions::default()).await
    }

    /// Reads a record with the given properties, history and associations. A requested
    /// property without a value is `None`.
    pub async fn get_with(&self, id: &str, options: &ReadOptions) -> Result<Record> {
        validate_address(id, options.id_property.as_deref())?;
        O::get(&self.client, id, options).await
    }

    /// Reads one page of records (`limit` at most 100, `after` from the previous page).
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
        O::list(&self.client, options, limit, after).await
    }

    /// Creates a record after checking it.
    pub async fn create(&self, input: NewRecord) -> Result<Record> {
        O::validate_new(&input)?;
        O::create(&self.client, input).await
    }

    /// Changes a record's properties (an empty string clears a value).
    pub async fn update(&self, update: RecordUpdate) -> Result<Record> {
        validate_address(&update.id, update.id_property.as_deref())?;
        if update.properties.is_empty() {
            return Err(ValidationError::new("properties", "nothing to update").into());
        }
        O::update(&self.client, update).await
    }

    /// Moves a record to the recycling bin.
    pub async fn archive(&self, id: &str) -> Result<()> {
        validate_record_id("id", id)?;
        O::archive(&self.client, id).await
    }

    /// One page of a search, after checking it against HubSpot's limits.
    pub async fn search_page(&self, request: &SearchRequest) -> Result<Page<Record>> {
        request.validate()?;
        O::search(&self.client, request).await
    }
}
