//! Leads: lead-specific rules and helpers on top of the generic object layer.
//!
//! [`Leads`] is [`Objects<Lead>`], so every generic operation (get, list, update, archive,
//! search, bulk and streams) is available on it; this module adds the lead's create rules, a
//! typed create builder and the v3 per-lead association endpoints.

// The module generated from HubSpot's leads spec, for the per-lead association paths only it
// has; every other lead operation goes through the objects family.
use hubspot_crm_api::leads as api;
use hubspot_crm_api::shared::AssociationSpec;

use crate::associations::{LeadAssociation, hubspot_defined};
use crate::client::Client;
use crate::error::Result;
use crate::error::ValidationError;
use crate::model::{
    AssociationCategory, AssociationType, NewRecord, ReadOptions, Record, RecordUpdate,
};
use crate::objects::{CrmObject, Objects};
use crate::validate::{validate_association_path, validate_new_common};
use crate::version::ApiVersion;

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
    validate_new_common(input)?;
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

fn is_contact_type(t: &AssociationSpec) -> bool {
    let t = AssociationType::from(t);
    t.category == AssociationCategory::HubSpotDefined
        && (t.type_id == LEAD_TO_PRIMARY_CONTACT.type_id || t.type_id == LEAD_TO_CONTACT.type_id)
}

/// HubSpot leads (`0-136`): a name and a contact are required on create.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Lead;

impl CrmObject for Lead {
    const OBJECT_TYPE: &'static str = "leads";
    const OBJECT_TYPE_ID: &'static str = "0-136";

    fn validate_new(input: &NewRecord) -> std::result::Result<(), ValidationError> {
        validate_new_lead(input)
    }

    /// A lead's name may change but not be cleared: HubSpot needs it to show the lead.
    fn validate_update(update: &RecordUpdate) -> std::result::Result<(), ValidationError> {
        match update.properties.get(properties::HS_LEAD_NAME) {
            Some(name) if name.trim().is_empty() => Err(ValidationError::new(
                properties::HS_LEAD_NAME,
                "must not be blank: a lead keeps its name",
            )),
            _ => Ok(()),
        }
    }
}

/// The lead operations: [`Objects`] for [`Lead`].
pub type Leads = Objects<Lead>;

impl Client {
    /// Leads: every [`Objects`] operation plus the lead-specific ones ([`Objects::new_lead`],
    /// the v3 per-lead associations).
    pub fn leads(&self) -> Leads {
        self.objects()
    }
}

/// The lead-specific operations of [`Objects<Lead>`] (see [`Client::leads`](crate::Client::leads)):
/// a typed create builder and the v3 per-lead association endpoints.
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
impl Objects<Lead> {
    /// Starts a lead named `name`; add at least one contact before [`NewLead::send`].
    pub fn new_lead(&self, name: impl Into<String>) -> NewLead {
        NewLead {
            leads: self.clone(),
            record: NewRecord::new().property(properties::HS_LEAD_NAME, name),
            check_definitions: false,
        }
    }

    /// Associates a lead with another record through the v3 per-lead endpoint
    /// (`PUT /crm/v3/objects/leads/{leadId}/associations/{toObjectType}/{toObjectId}/{associationTypeId}`)
    /// and returns the lead with its associations.
    ///
    /// `to_object_type` is a type name or id such as `contacts` or `0-1`;
    /// `association_type_id` a lead association type, e.g. 608 (lead to contact).
    ///
    /// 2026-09 has no per-lead path: there it is the dated per-object association with that
    /// one type (its category HubSpot-defined for the lead types this crate knows, else read
    /// from the pair's labels), then a read of the lead with its associations to
    /// `to_object_type`. The association is made once the first request succeeds: a failed
    /// read after it leaves the association in place (associating again is harmless).
    pub async fn associate_v3(
        &self,
        lead_id: &str,
        to_object_type: &str,
        to_id: &str,
        association_type_id: i32,
    ) -> Result<Record> {
        validate_association_path(lead_id, to_object_type, to_id, association_type_id)?;
        match self.client().api_version() {
            ApiVersion::V3 => {
                self.associate_on_lead_path(lead_id, to_object_type, to_id, association_type_id)
                    .await
            }
            ApiVersion::V2026_09 => {
                self.associate_then_read(lead_id, to_object_type, to_id, association_type_id)
                    .await
            }
        }
    }

    /// Removes one association type between a lead and another record through the v3
    /// per-lead endpoint (`DELETE` of the [`associate_v3`](Self::associate_v3) path).
    ///
    /// HubSpot deletes a lead whose last primary association is removed.
    ///
    /// On 2026-09 it removes that one type through the dated batch label removal
    /// ([`Associations::remove_types`](crate::Associations::remove_types)), leaving the
    /// pair's other types.
    pub async fn remove_association_v3(
        &self,
        lead_id: &str,
        to_object_type: &str,
        to_id: &str,
        association_type_id: i32,
    ) -> Result<()> {
        validate_association_path(lead_id, to_object_type, to_id, association_type_id)?;
        match self.client().api_version() {
            ApiVersion::V3 => {
                self.remove_on_lead_path(lead_id, to_object_type, to_id, association_type_id)
                    .await
            }
            ApiVersion::V2026_09 => {
                let association_type = self
                    .association_type_of(to_object_type, association_type_id)
                    .await?;
                self.client()
                    .associations()
                    .remove_types("leads", lead_id, to_object_type, to_id, &[association_type])
                    .await
            }
        }
    }

    /// `PUT` of the per-lead association path, which only the leads module has; its answer is
    /// the lead with its associations.
    async fn associate_on_lead_path(
        &self,
        lead_id: &str,
        to_object_type: &str,
        to_id: &str,
        association_type_id: i32,
    ) -> Result<Record> {
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
        call.finish(result, Vec::new).map(Record::from)
    }

    /// `DELETE` of the per-lead association path.
    async fn remove_on_lead_path(
        &self,
        lead_id: &str,
        to_object_type: &str,
        to_id: &str,
        association_type_id: i32,
    ) -> Result<()> {
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
        call.finish(result, Vec::new)
    }

    /// What the per-lead `PUT` does, where no such path exists: the per-object association
    /// with the one type, then a read of the lead with its associations to `to_object_type`.
    async fn associate_then_read(
        &self,
        lead_id: &str,
        to_object_type: &str,
        to_id: &str,
        association_type_id: i32,
    ) -> Result<Record> {
        let association_type = self
            .association_type_of(to_object_type, association_type_id)
            .await?;
        self.client()
            .associations()
            .associate("leads", lead_id, to_object_type, to_id, &[association_type])
            .await?;
        let read = ReadOptions::new().associations([to_object_type]);
        self.get_with(lead_id, &read).await
    }

    /// The type (with its category) a v3 per-lead path names by id alone: a HubSpot-defined
    /// lead type this crate knows, else the pair's labels say.
    async fn association_type_of(
        &self,
        to_object_type: &str,
        type_id: i32,
    ) -> Result<AssociationType> {
        if let Some((_, known)) = hubspot_defined("leads", to_object_type)
            .into_iter()
            .find(|(_, t)| t.type_id == type_id)
        {
            return Ok(known);
        }
        let labels = self
            .client()
            .associations()
            .labels("leads", to_object_type)
            .await?;
        labels
            .iter()
            .find(|l| l.type_id == type_id)
            .map(|l| l.association_type())
            .ok_or_else(|| {
                let known: Vec<String> = labels.iter().map(|l| l.type_id.to_string()).collect();
                ValidationError::new(
                    "associationTypeId",
                    format!(
                        "{type_id} is not an association type from leads to {to_object_type} in this account (types: {})",
                        known.join(", ")
                    ),
                )
                .into()
            })
    }
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
    leads: Objects<Lead>,
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
        self.record = self.record.associate(to_id, association_type);
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
        self.record = self.record.property(name, value);
        self
    }

    /// Sets the `objectWriteTraceId` HubSpot echoes on a failed batch item (batch creates
    /// only; a single create has no such field).
    pub fn trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.record = self.record.trace_id(trace_id);
        self
    }

    /// The record as built so far.
    pub fn as_new_record(&self) -> &NewRecord {
        &self.record
    }

    /// The record, for the bulk methods ([`Objects::create_many`]).
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
        NewRecord::new().property(properties::HS_LEAD_NAME, name)
    }

    fn with(record: NewRecord, to_id: &str, t: AssociationType) -> NewRecord {
        record.associate(to_id, t)
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
