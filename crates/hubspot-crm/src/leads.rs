//! Leads: lead-specific rules and helpers on top of the generic object layer.
//!
//! [`Leads`] dereferences to [`Objects<Lead>`], so every generic operation (get, list, update,
//! archive, search, bulk and streams) is available on it; this module adds a typed create
//! builder, single-request batch calls with per-item validation, and the v3 per-lead
//! association endpoints.

use std::collections::HashMap;
use std::ops::Deref;

use hubspot_crm_api::leads as api;

use crate::associations::{LeadAssociation, check_object_type};
use crate::client::Client;
use crate::error::{Error, Result, ValidationError};
use crate::model::{
    AssociationCategory, AssociationType, BatchResponse, NewAssociation, NewRecord, ReadOptions,
    Record, RecordUpdate,
};
use crate::objects::{CrmObject, Lead, Objects, validate_address, validate_record_id};

/// Names of the lead properties HubSpot defines.
///
/// Dropdown options (lead types, labels, pipeline stages) differ per account: read them from the
/// Properties API rather than hard-coding values.
pub mod properties {
    /// The lead's name; required on create.
    pub const HS_LEAD_NAME: &str = "hs_lead_name";
    /// The lead type, e.g. `NEW BUSINESS` (account-editable dropdown).
    pub const HS_LEAD_TYPE: &str = "hs_lead_type";
    /// The lead label (status), e.g. `WARM` (account-editable dropdown).
    pub const HS_LEAD_LABEL: &str = "hs_lead_label";
    /// The owner's id; only users with a seat can work leads.
    pub const HUBSPOT_OWNER_ID: &str = "hubspot_owner_id";
    /// The lead pipeline.
    pub const HS_PIPELINE: &str = "hs_pipeline";
    /// The stage within the pipeline.
    pub const HS_PIPELINE_STAGE: &str = "hs_pipeline_stage";
    /// The record id as a property (sort on it to page through large searches).
    pub const HS_OBJECT_ID: &str = "hs_object_id";
}

// The lead association types a new lead's builder and checks use.
const LEAD_TO_PRIMARY_CONTACT: AssociationType = LeadAssociation::PrimaryContact.association_type();
const LEAD_TO_CONTACT: AssociationType = LeadAssociation::Contact.association_type();
const LEAD_TO_COMPANY: AssociationType = LeadAssociation::Company.association_type();

use crate::bulk::MAX_BATCH_INPUTS;

/// Checks a lead to create: a non-blank `hs_lead_name` and an association to a contact, plus
/// the checks every object gets.
pub(crate) fn validate_new_lead(input: &NewRecord) -> Result<(), ValidationError> {
    match input.properties.get(properties::HS_LEAD_NAME) {
        None => {
            return Err(ValidationError::new(
                properties::HS_LEAD_NAME,
                "is required to create a lead",
            ));
        }
        Some(name) if name.trim().is_empty() => {
            return Err(ValidationError::new(
                properties::HS_LEAD_NAME,
                "must not be blank",
            ));
        }
        Some(_) => {}
    }
    crate::objects::validate_new_common(input)?;
    let has_contact = input
        .associations
        .iter()
        .flat_map(|a| a.types.iter())
        .any(is_contact_type);
    if !has_contact {
        return Err(ValidationError::new(
            "associations",
            "a lead needs an association to an existing contact (HUBSPOT_DEFINED type 578, \
             lead to primary contact, or 608, lead to contact)",
        ));
    }
    Ok(())
}

fn is_contact_type(t: &AssociationType) -> bool {
    t.category == AssociationCategory::HubSpotDefined
        && (t.type_id == LEAD_TO_PRIMARY_CONTACT.type_id || t.type_id == LEAD_TO_CONTACT.type_id)
}

/// The lead operations: everything [`Objects<Lead>`] offers (through `Deref`), plus a typed
/// create builder, single-request batch calls and the v3 per-lead association endpoints.
///
/// ```no_run
/// # async fn run() -> hubspot_crm::Result<()> {
/// use hubspot_crm::{ReadOptions, lead_properties as p};
///
/// let client = hubspot_crm::Client::from_env()?;
/// let leads = client.leads();
/// // A lead needs an existing contact; `contact` makes it the lead's primary contact.
/// let lead = leads
///     .new_lead("Acme renewal")
///     .contact("51")
///     .lead_type("NEW BUSINESS")
///     .send()
///     .await?;
/// let read = leads
///     .get_with(
///         &lead.id,
///         &ReadOptions::new()
///             .properties([p::HS_LEAD_NAME, p::HS_LEAD_LABEL])
///             .properties_with_history([p::HS_LEAD_LABEL])
///             .associations(["contacts"]),
///     )
///     .await?;
/// println!("{:?} {:?}", read.property(p::HS_LEAD_NAME), read.properties_with_history);
/// leads.archive(&lead.id).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Leads {
    objects: Objects<Lead>,
}

impl Deref for Leads {
    type Target = Objects<Lead>;

    fn deref(&self) -> &Objects<Lead> {
        &self.objects
    }
}

impl Leads {
    /// The lead operations through `client` (same as [`Client::leads`]).
    pub fn new(client: Client) -> Self {
        Leads {
            objects: Objects::new(client),
        }
    }

    /// Starts a lead named `name`; add at least one contact before [`NewLead::send`].
    pub fn new_lead(&self, name: impl Into<String>) -> NewLead {
        let mut record = NewRecord::default();
        record
            .properties
            .insert(properties::HS_LEAD_NAME.to_owned(), name.into());
        NewLead {
            leads: self.clone(),
            record,
            check_definitions: false,
        }
    }

    /// Reads up to 100 leads in one request, by record id or, with
    /// [`ReadOptions::id_property`], by the values of a unique property. Leads that are not
    /// found come back in [`BatchResponse::errors`]. The batch endpoint returns no
    /// associations, so options asking for them are rejected.
    pub async fn batch_read<I, S>(&self, ids: I, options: &ReadOptions) -> Result<BatchResponse>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let ids: Vec<String> = ids.into_iter().map(Into::into).collect();
        check_count(ids.len())?;
        if !options.associations.is_empty() {
            return Err(Error::validation(
                "associations",
                "batch read returns no associations; read single leads with `get_with`",
            ));
        }
        for (i, id) in ids.iter().enumerate() {
            validate_address(id, options.id_property.as_deref()).map_err(|e| e.at_item(i))?;
        }
        <Lead as CrmObject>::batch_read(self.client(), ids, options).await
    }

    /// Creates up to 100 leads in one request, each checked like a single create. Failed
    /// items come back in [`BatchResponse::errors`]; give inputs distinct trace ids
    /// ([`NewLead::trace_id`]) to tie each error to its input.
    pub async fn batch_create(&self, inputs: Vec<NewRecord>) -> Result<BatchResponse> {
        check_count(inputs.len())?;
        let mut trace_ids: HashMap<&str, usize> = HashMap::new();
        for (i, input) in inputs.iter().enumerate() {
            Lead::validate_new(input).map_err(|e| e.at_item(i))?;
            if let Some(trace) = &input.object_write_trace_id
                && let Some(&first) = trace_ids.get(trace.as_str())
            {
                return Err(ValidationError::new(
                    "objectWriteTraceId",
                    format!("`{trace}` is already used by item {first}"),
                )
                .at_item(i)
                .into());
            }
            if let Some(trace) = &input.object_write_trace_id {
                trace_ids.insert(trace.as_str(), i);
            }
        }
        <Lead as CrmObject>::batch_create(self.client(), inputs).await
    }

    /// Changes up to 100 leads in one request (an empty string clears a value).
    pub async fn batch_update(&self, inputs: Vec<RecordUpdate>) -> Result<BatchResponse> {
        check_count(inputs.len())?;
        for (i, input) in inputs.iter().enumerate() {
            validate_update(input).map_err(|e| e.at_item(i))?;
        }
        <Lead as CrmObject>::batch_update(self.client(), inputs).await
    }

    /// Creates or updates up to 100 leads in one request, each addressed by a unique property
    /// (`id_property` is required). Results tell created from updated with [`Record::new`].
    pub async fn batch_upsert(&self, inputs: Vec<RecordUpdate>) -> Result<BatchResponse> {
        check_count(inputs.len())?;
        for (i, input) in inputs.iter().enumerate() {
            if input.id_property.is_none() {
                return Err(ValidationError::new(
                    "idProperty",
                    "upsert addresses leads by a unique property; set `id_property`",
                )
                .at_item(i)
                .into());
            }
            validate_update(input).map_err(|e| e.at_item(i))?;
        }
        <Lead as CrmObject>::batch_upsert(self.client(), inputs).await
    }

    /// Moves up to 100 leads to the recycling bin in one request.
    pub async fn batch_archive<I, S>(&self, ids: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let ids: Vec<String> = ids.into_iter().map(Into::into).collect();
        check_count(ids.len())?;
        for (i, id) in ids.iter().enumerate() {
            validate_record_id("id", id).map_err(|e| e.at_item(i))?;
        }
        <Lead as CrmObject>::batch_archive(self.client(), ids).await
    }

    /// Associates a lead with another record through the v3 per-lead endpoint
    /// (`PUT /crm/v3/objects/leads/{leadId}/associations/{toObjectType}/{toObjectId}/{associationTypeId}`)
    /// and returns the lead with its associations.
    ///
    /// `to_object_type` is a type name or id such as `contacts` or `0-1`;
    /// `association_type_id` a lead association type, e.g. 608 (lead to contact).
    pub async fn associate_v3(
        &self,
        lead_id: &str,
        to_object_type: &str,
        to_id: &str,
        association_type_id: i32,
    ) -> Result<Record> {
        validate_association_path(lead_id, to_object_type, to_id, association_type_id)?;
        let (call, api) = self
            .client()
            .start_call(api::Client::new_with_client)
            .await?;
        let result = api
            .associate()
            .lead_id(lead_id)
            .to_object_type(to_object_type)
            .to_object_id(to_id)
            .association_type_id(association_type_id)
            .send()
            .await;
        call.finish("leads.associate", result, Vec::new)
            .map(Record::from)
    }

    /// Removes one association type between a lead and another record through the v3
    /// per-lead endpoint (`DELETE` of the [`associate_v3`](Self::associate_v3) path).
    ///
    /// HubSpot deletes a lead whose last primary association is removed.
    pub async fn remove_association_v3(
        &self,
        lead_id: &str,
        to_object_type: &str,
        to_id: &str,
        association_type_id: i32,
    ) -> Result<()> {
        validate_association_path(lead_id, to_object_type, to_id, association_type_id)?;
        let (call, api) = self
            .client()
            .start_call(api::Client::new_with_client)
            .await?;
        let result = api
            .remove_association()
            .lead_id(lead_id)
            .to_object_type(to_object_type)
            .to_object_id(to_id)
            .association_type_id(association_type_id)
            .send()
            .await;
        call.finish("leads.remove_association", result, Vec::new)
    }
}

fn check_count(count: usize) -> Result<(), ValidationError> {
    if count == 0 {
        return Err(ValidationError::new(
            "inputs",
            "a batch needs at least one input",
        ));
    }
    if count > MAX_BATCH_INPUTS {
        return Err(ValidationError::new(
            "inputs",
            format!(
                "{count} inputs; HubSpot takes at most {MAX_BATCH_INPUTS} per batch request (split larger batches)"
            ),
        ));
    }
    Ok(())
}

fn validate_update(input: &RecordUpdate) -> Result<(), ValidationError> {
    validate_address(&input.id, input.id_property.as_deref())?;
    if input.properties.is_empty() {
        return Err(ValidationError::new("properties", "nothing to update"));
    }
    if input.properties.keys().any(|name| name.trim().is_empty()) {
        return Err(ValidationError::new(
            "properties",
            "a property name is blank",
        ));
    }
    Ok(())
}

fn validate_association_path(
    lead_id: &str,
    to_object_type: &str,
    to_id: &str,
    association_type_id: i32,
) -> Result<(), ValidationError> {
    validate_record_id("leadId", lead_id)?;
    check_object_type("toObjectType", to_object_type)?;
    validate_record_id("toObjectId", to_id)?;
    if association_type_id <= 0 {
        return Err(ValidationError::new(
            "associationTypeId",
            format!("{association_type_id} is not an association type id (a positive integer)"),
        ));
    }
    Ok(())
}

/// A lead to create, built from [`Leads::new_lead`].
///
/// HubSpot requires a name (given to `new_lead`) and an association to an existing contact:
/// [`contact`](Self::contact) adds one as the lead's primary contact.
///
/// ```no_run
/// # async fn run(client: hubspot_crm::Client) -> hubspot_crm::Result<()> {
/// let lead = client
///     .leads()
///     .new_lead("Acme renewal")
///     .contact("51")
///     .company("77")
///     .label("WARM")
///     .owner("12345")
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "nothing is created until `send` (or use `into_new_record` for a batch)"]
pub struct NewLead {
    leads: Leads,
    record: NewRecord,
    check_definitions: bool,
}

impl NewLead {
    /// Associates the lead with an existing contact as its primary contact (type 578).
    pub fn contact(self, contact_id: impl Into<String>) -> Self {
        self.associate(contact_id, LEAD_TO_PRIMARY_CONTACT)
    }

    /// Associates the lead with a contact with the given type, e.g.
    /// `AssociationType::hubspot(608)` (a contact that is not the primary one) or a custom
    /// label. Only HubSpot-defined 578 and 608 count as the contact a lead requires.
    pub fn contact_with_type(
        self,
        contact_id: impl Into<String>,
        association_type: AssociationType,
    ) -> Self {
        self.associate(contact_id, association_type)
    }

    /// Associates the lead with a company (type 610, lead to company).
    pub fn company(self, company_id: impl Into<String>) -> Self {
        self.associate(company_id, LEAD_TO_COMPANY)
    }

    /// Associates the lead with any record, with the given lead association type.
    pub fn associate(
        mut self,
        to_id: impl Into<String>,
        association_type: AssociationType,
    ) -> Self {
        let to_id = to_id.into();
        let duplicate = self
            .record
            .associations
            .iter()
            .any(|a| a.to_id == to_id && a.types.contains(&association_type));
        if !duplicate {
            self.record.associations.push(NewAssociation {
                to_id,
                types: vec![association_type],
            });
        }
        self
    }

    /// Sets `hs_lead_type` (an account's dropdown value, e.g. `NEW BUSINESS`).
    pub fn lead_type(self, value: impl Into<String>) -> Self {
        self.property(properties::HS_LEAD_TYPE, value)
    }

    /// Sets `hs_lead_label` (an account's dropdown value, e.g. `WARM`).
    pub fn label(self, value: impl Into<String>) -> Self {
        self.property(properties::HS_LEAD_LABEL, value)
    }

    /// Sets `hubspot_owner_id`.
    pub fn owner(self, owner_id: impl Into<String>) -> Self {
        self.property(properties::HUBSPOT_OWNER_ID, owner_id)
    }

    /// Sets `hs_pipeline`.
    pub fn pipeline(self, pipeline_id: impl Into<String>) -> Self {
        self.property(properties::HS_PIPELINE, pipeline_id)
    }

    /// Sets `hs_pipeline_stage`.
    pub fn stage(self, stage_id: impl Into<String>) -> Self {
        self.property(properties::HS_PIPELINE_STAGE, stage_id)
    }

    /// Sets any property by its internal name.
    pub fn property(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.record.properties.insert(name.into(), value.into());
        self
    }

    /// Sets the `objectWriteTraceId` HubSpot echoes on a failed batch item (batch creates
    /// only; a single create has no such field).
    pub fn trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.record.object_write_trace_id = Some(trace_id.into());
        self
    }

    /// The record as built so far.
    pub fn as_new_record(&self) -> &NewRecord {
        &self.record
    }

    /// The record, for [`Leads::batch_create`] or the bulk methods.
    pub fn into_new_record(self) -> NewRecord {
        self.record
    }

    /// Before sending, also checks the values against the account's lead property
    /// definitions: properties exist, are not read-only, and dropdowns such as `hs_lead_type`
    /// and `hs_lead_label` hold one of the account's options. The definitions are read once
    /// and cached by the client.
    pub fn check_against_definitions(mut self) -> Self {
        self.check_definitions = true;
        self
    }

    /// Checks the lead and creates it.
    pub async fn send(self) -> Result<Record> {
        if self.check_definitions {
            validate_new_lead(&self.record)?;
            self.leads
                .client()
                .properties()
                .check_new_record(Lead::OBJECT_TYPE, &self.record)
                .await?;
        }
        self.leads.create(self.record).await
    }
}

impl From<NewLead> for NewRecord {
    fn from(lead: NewLead) -> Self {
        lead.record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(name: &str) -> NewRecord {
        let mut record = NewRecord::default();
        record
            .properties
            .insert(properties::HS_LEAD_NAME.to_owned(), name.to_owned());
        record
    }

    fn with(mut record: NewRecord, to_id: &str, t: AssociationType) -> NewRecord {
        record.associations.push(NewAssociation {
            to_id: to_id.to_owned(),
            types: vec![t],
        });
        record
    }

    #[test]
    fn name_is_required_and_not_blank() {
        let missing = with(NewRecord::default(), "1", LEAD_TO_PRIMARY_CONTACT);
        assert_eq!(
            validate_new_lead(&missing).unwrap_err().field,
            "hs_lead_name"
        );
        let blank = with(lead(" \t"), "1", LEAD_TO_PRIMARY_CONTACT);
        let e = validate_new_lead(&blank).unwrap_err();
        assert_eq!(e.field, "hs_lead_name");
        assert_eq!(e.reason, "must not be blank");
    }

    #[test]
    fn a_contact_association_is_required() {
        assert_eq!(
            validate_new_lead(&lead("A")).unwrap_err().field,
            "associations"
        );
        let company_only = with(lead("A"), "9", LEAD_TO_COMPANY);
        assert_eq!(
            validate_new_lead(&company_only).unwrap_err().field,
            "associations"
        );
        let user_defined_608 = with(
            lead("A"),
            "9",
            AssociationType {
                category: AssociationCategory::UserDefined,
                type_id: 608,
            },
        );
        assert_eq!(
            validate_new_lead(&user_defined_608).unwrap_err().field,
            "associations"
        );
        assert!(validate_new_lead(&with(lead("A"), "9", LEAD_TO_PRIMARY_CONTACT)).is_ok());
        assert!(validate_new_lead(&with(lead("A"), "9", LEAD_TO_CONTACT)).is_ok());
    }

    #[test]
    fn malformed_association_ids_are_named() {
        let e = validate_new_lead(&with(lead("A"), "abc", LEAD_TO_PRIMARY_CONTACT)).unwrap_err();
        assert_eq!(e.field, "associations[0].to.id");
        let e = validate_new_lead(&with(lead("A"), "0", LEAD_TO_PRIMARY_CONTACT)).unwrap_err();
        assert_eq!(e.field, "associations[0].to.id");
    }

    #[test]
    fn association_path_is_checked() {
        assert_eq!(
            validate_association_path("abc", "contacts", "1", 608)
                .unwrap_err()
                .field,
            "leadId"
        );
        assert_eq!(
            validate_association_path("1", "con/tacts", "1", 608)
                .unwrap_err()
                .field,
            "toObjectType"
        );
        assert_eq!(
            validate_association_path("1", "0-1", "0", 608)
                .unwrap_err()
                .field,
            "toObjectId"
        );
        assert_eq!(
            validate_association_path("1", "contacts", "1", 0)
                .unwrap_err()
                .field,
            "associationTypeId"
        );
        assert!(validate_association_path("1", "0-1", "2", 608).is_ok());
    }
}
