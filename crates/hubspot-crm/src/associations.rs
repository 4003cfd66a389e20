//! Associations between records: HubSpot's fixed association type ids for leads, the v4
//! associations API, and association labels looked up by name.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hubspot_crm_api::association_labels as labels_api;
use hubspot_crm_api::associations as v4;
use progenitor_client::ResponseValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use crate::client::Client;
use crate::error::{Error, Result, ValidationError};
use crate::model::{AssociationCategory, AssociationType, BatchItemError, NewAssociation, Page};
use crate::objects::validate_record_id;
use crate::transport::Call;

/// Limits of HubSpot's v4 associations API.
pub mod limits {
    /// Results per page of a record's associations.
    pub const MAX_LIST_LIMIT: u32 = 500;
    /// Inputs of one batch read.
    pub const MAX_BATCH_READ: usize = 1_000;
    /// Inputs of one batch create.
    pub const MAX_BATCH_CREATE: usize = 2_000;
}

/// Standard object types: (plural name, singular name, object type id).
const STANDARD_OBJECT_TYPES: &[(&str, &str, &str)] = &[
    ("leads", "lead", "0-136"),
    ("contacts", "contact", "0-1"),
    ("companies", "company", "0-2"),
    ("deals", "deal", "0-3"),
    ("calls", "call", "0-48"),
    ("emails", "email", "0-49"),
    ("meetings", "meeting", "0-47"),
    ("notes", "note", "0-46"),
    ("tasks", "task", "0-27"),
    ("communications", "communication", "0-18"),
    ("feedback_submissions", "feedback_submission", "0-19"),
];

/// The plural name of a standard object type given by plural name, singular name or type id.
fn standard_object_type(name: &str) -> Option<&'static str> {
    let name = name.trim();
    STANDARD_OBJECT_TYPES
        .iter()
        .find(|(plural, singular, id)| {
            name.eq_ignore_ascii_case(plural) || name.eq_ignore_ascii_case(singular) || name == *id
        })
        .map(|(plural, _, _)| *plural)
}

/// Declares an enum of HubSpot-defined association types, one line per type: its id, this
/// crate's name for it, and the object type at the other end.
macro_rules! defined_association_types {
    (
        $(#[$meta:meta])*
        pub enum $enum:ident {
            other_end: $other_end:ident,
            $($(#[$variant_meta:meta])* $variant:ident = $id:literal, $name:literal, $object:literal;)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $enum {
            $($(#[$variant_meta])* $variant,)*
        }

        impl $enum {
            /// Every variant, in HubSpot's documented order.
            pub const ALL: &'static [$enum] = &[$($enum::$variant),*];

            /// HubSpot's association type id.
            pub const fn type_id(self) -> i32 {
                match self {
                    $($enum::$variant => $id,)*
                }
            }

            /// The object type at the other end of the association, e.g. `contacts`.
            pub const fn $other_end(self) -> &'static str {
                match self {
                    $($enum::$variant => $object,)*
                }
            }

            /// This crate's name for the type, e.g. `lead_to_primary_contact` or `contact_to_lead`.
            pub const fn name(self) -> &'static str {
                match self {
                    $($enum::$variant => $name,)*
                }
            }

            /// The type as sent to HubSpot (category `HUBSPOT_DEFINED`).
            pub const fn association_type(self) -> AssociationType {
                AssociationType::hubspot(self.type_id())
            }
        }

        impl From<$enum> for AssociationType {
            fn from(association: $enum) -> Self {
                association.association_type()
            }
        }
    };
}

defined_association_types! {
    /// HubSpot-defined association types from a lead to another record.
    ///
    /// The ids are the same in every account. Pass one where an [`AssociationType`] is
    /// expected (`.into()`), or build a create input with [`LeadAssociation::to`].
    pub enum LeadAssociation {
        other_end: to_object_type,
        /// Lead → its primary contact (578). Every lead needs one at creation.
        PrimaryContact = 578, "lead_to_primary_contact", "contacts";
        /// Lead → contact (608).
        Contact = 608, "lead_to_contact", "contacts";
        /// Lead → company (610).
        Company = 610, "lead_to_company", "companies";
        /// Lead → its primary company (580).
        PrimaryCompany = 580, "lead_to_primary_company", "companies";
        /// Lead → deal (1037).
        Deal = 1037, "lead_to_deal", "deals";
        /// Lead → its primary deal (582).
        PrimaryDeal = 582, "lead_to_primary_deal", "deals";
        /// Lead → call (596).
        Call = 596, "lead_to_call", "calls";
        /// Lead → email (598).
        Email = 598, "lead_to_email", "emails";
        /// Lead → meeting (600).
        Meeting = 600, "lead_to_meeting", "meetings";
        /// Lead → note (854).
        Note = 854, "lead_to_note", "notes";
        /// Lead → task (646).
        Task = 646, "lead_to_task", "tasks";
        /// Lead → communication (602).
        Communication = 602, "lead_to_communication", "communications";
        /// Lead → feedback submission (1162).
        FeedbackSubmission = 1162, "lead_to_feedback_submission", "feedback_submissions";
    }
}

impl LeadAssociation {
    /// An association with record `to_id` of this type, for a lead to create.
    pub fn to(self, to_id: impl Into<String>) -> NewAssociation {
        NewAssociation {
            to_id: to_id.into(),
            types: vec![self.association_type()],
        }
    }
}

defined_association_types! {
    /// HubSpot-defined association types from another record to a lead.
    ///
    /// HubSpot documents no type for primary contact → lead, primary company → lead or
    /// email → lead, so there are none here.
    pub enum ToLeadAssociation {
        other_end: from_object_type,
        /// Contact → lead (609).
        Contact = 609, "contact_to_lead", "contacts";
        /// Company → lead (611).
        Company = 611, "company_to_lead", "companies";
        /// Deal → lead (1038).
        Deal = 1038, "deal_to_lead", "deals";
        /// Primary deal → lead (583).
        PrimaryDeal = 583, "primary_deal_to_lead", "deals";
        /// Call → lead (597).
        Call = 597, "call_to_lead", "calls";
        /// Meeting → lead (601).
        Meeting = 601, "meeting_to_lead", "meetings";
        /// Note → lead (855).
        Note = 855, "note_to_lead", "notes";
        /// Task → lead (647).
        Task = 647, "task_to_lead", "tasks";
        /// Communication → lead (603).
        Communication = 603, "communication_to_lead", "communications";
        /// Feedback submission → lead (1161).
        FeedbackSubmission = 1161, "feedback_submission_to_lead", "feedback_submissions";
    }
}

/// The HubSpot-defined association types between two object types that this crate knows
/// (those of leads), as (name, type) pairs; empty for any other pair.
///
/// Object types may be given by plural or singular name (`leads`, `lead`) or type id
/// (`0-136`). Email → lead, primary contact → lead and primary company → lead are not
/// documented by HubSpot and are not listed. For other pairs, and for custom labels, ask
/// HubSpot with [`Associations::labels`].
///
/// ```
/// use hubspot_crm::{AssociationType, hubspot_defined};
///
/// let types = hubspot_defined("leads", "contacts");
/// assert_eq!(types[0], ("lead_to_primary_contact", AssociationType::hubspot(578)));
/// assert!(hubspot_defined("emails", "leads").is_empty());
/// ```
pub fn hubspot_defined(
    from_object_type: &str,
    to_object_type: &str,
) -> Vec<(&'static str, AssociationType)> {
    match (
        standard_object_type(from_object_type),
        standard_object_type(to_object_type),
    ) {
        (Some("leads"), Some(to)) => LeadAssociation::ALL
            .iter()
            .filter(|a| a.to_object_type() == to)
            .map(|a| (a.name(), a.association_type()))
            .collect(),
        (Some(from), Some("leads")) => ToLeadAssociation::ALL
            .iter()
            .filter(|a| a.from_object_type() == from)
            .map(|a| (a.name(), a.association_type()))
            .collect(),
        _ => Vec::new(),
    }
}

/// An association type between two object types as HubSpot lists it, with its label.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AssociationLabel {
    /// Who defined it.
    pub category: AssociationCategory,
    /// Its id.
    pub type_id: i32,
    /// Its label; `None` for an unlabeled type (such as the default one).
    pub label: Option<String>,
}

impl AssociationLabel {
    /// The type, to associate with.
    pub fn association_type(&self) -> AssociationType {
        AssociationType {
            category: self.category.clone(),
            type_id: self.type_id,
        }
    }
}

/// A record associated with the record whose associations were listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssociationTarget {
    /// The associated record's id.
    pub to_id: String,
    /// The types (and labels) associating the two.
    pub types: Vec<AssociationLabel>,
}

/// Two records that were associated, with the labels now between them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssociationLink {
    /// Object type id of the first record, e.g. `0-136`.
    pub from_object_type_id: String,
    /// The first record's id.
    pub from_id: String,
    /// Object type id of the second record, e.g. `0-1`.
    pub to_object_type_id: String,
    /// The second record's id.
    pub to_id: String,
    /// Labels between them (unlabeled types are not listed).
    pub labels: Vec<String>,
}

/// A default association made between two records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultAssociation {
    /// The first record's id.
    pub from_id: String,
    /// The second record's id.
    pub to_id: String,
    /// The type HubSpot used.
    pub association_type: AssociationType,
}

/// One record's associations from a batch read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordAssociations {
    /// The record read.
    pub from_id: String,
    /// Its associated records (one page).
    pub to: Vec<AssociationTarget>,
    /// Cursor of this record's next page, if it has more associations.
    pub next_after: Option<String>,
}

/// HubSpot's answer to an associations batch: what succeeded and what failed (a 207).
#[derive(Clone, Debug, PartialEq)]
pub struct AssociationBatch<T> {
    /// HubSpot's status: `COMPLETE`, `PENDING`, ...
    pub status: String,
    /// The items that succeeded.
    pub results: Vec<T>,
    /// Failures HubSpot reported, naming the inputs concerned in `context`.
    pub errors: Vec<BatchItemError>,
}

/// One association to create in a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssociationInput {
    /// The first record's id.
    pub from_id: String,
    /// The second record's id.
    pub to_id: String,
    /// The types to associate with (at least one).
    pub types: Vec<AssociationType>,
}

impl AssociationInput {
    /// An input associating `from_id` with `to_id` by `types`.
    pub fn new(
        from_id: impl Into<String>,
        to_id: impl Into<String>,
        types: impl IntoIterator<Item = AssociationType>,
    ) -> Self {
        AssociationInput {
            from_id: from_id.into(),
            to_id: to_id.into(),
            types: types.into_iter().collect(),
        }
    }
}

/// Associations to remove in a batch: all those between `from_id` and each of `to_ids`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssociationRemoval {
    /// The first record's id.
    pub from_id: String,
    /// The records to dissociate from it (at least one).
    pub to_ids: Vec<String>,
}

impl AssociationRemoval {
    /// A removal of every association between `from_id` and each of `to_ids`.
    pub fn new<I, S>(from_id: impl Into<String>, to_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        AssociationRemoval {
            from_id: from_id.into(),
            to_ids: to_ids.into_iter().map(Into::into).collect(),
        }
    }
}

type LabelSlot = Arc<OnceCell<Arc<[AssociationLabel]>>>;

/// Association labels per pair of object types, shared by a client and its clones.
///
/// Custom labels differ per account, so the cache belongs to one client (one token), never
/// to the process.
#[derive(Debug, Default)]
pub(crate) struct LabelCache {
    pairs: Mutex<HashMap<(String, String), LabelSlot>>,
}

impl LabelCache {
    fn key(from: &str, to: &str) -> (String, String) {
        let name = |t: &str| {
            standard_object_type(t)
                .map(str::to_owned)
                .unwrap_or_else(|| t.trim().to_ascii_lowercase())
        };
        (name(from), name(to))
    }

    fn slot(&self, from: &str, to: &str) -> LabelSlot {
        let mut pairs = self.pairs.lock().unwrap_or_else(|p| p.into_inner());
        pairs.entry(Self::key(from, to)).or_default().clone()
    }

    fn forget(&self, from: &str, to: &str) {
        let mut pairs = self.pairs.lock().unwrap_or_else(|p| p.into_inner());
        pairs.remove(&Self::key(from, to));
    }
}

/// HubSpot's v4 associations API and association labels, with validation before sending.
///
/// Get one with [`Client::associations`]. Record ids are checked to be record ids, object
/// types to be names, and every association to carry a type, before anything is sent.
///
/// ```no_run
/// # async fn run() -> hubspot_crm::Result<()> {
/// use hubspot_crm::LeadAssociation;
///
/// let client = hubspot_crm::Client::from_env()?;
/// let associations = client.associations();
/// // A HubSpot-defined type: the same id in every account.
/// associations
///     .associate_lead_as("901", LeadAssociation::Company, "5791")
///     .await?;
/// // A custom label: its id differs per account, so it is looked up (once) by name.
/// associations
///     .associate_lead_by_label("901", "companies", "5791", "Decision maker's company")
///     .await?;
/// let page = associations.list_page("leads", "901", "contacts", Some(100), None).await?;
/// for target in page.results {
///     println!("contact {} as {:?}", target.to_id, target.types);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Associations {
    client: Client,
}

async fn start_v4(client: &Client) -> Result<(Arc<Call>, v4::Client)> {
    client.start_call(v4::Client::new_with_client).await
}

impl Associations {
    /// The associations API through `client`.
    pub fn new(client: Client) -> Self {
        Associations { client }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Associates two records with the given types (`PUT /crm/v4/objects/{objectType}/
    /// {objectId}/associations/{toObjectType}/{toObjectId}`). Associating again with a type
    /// already there changes nothing.
    pub async fn associate(
        &self,
        object_type: &str,
        object_id: &str,
        to_object_type: &str,
        to_object_id: &str,
        types: &[AssociationType],
    ) -> Result<AssociationLink> {
        check_pair(object_type, object_id, to_object_type, to_object_id)?;
        check_types("types", types)?;
        let body: Vec<v4::types::AssociationSpec> = types.iter().map(spec).collect();
        let (call, api) = start_v4(&self.client).await?;
        let result = api
            .create()
            .object_type(object_type)
            .object_id(object_id)
            .to_object_type(to_object_type)
            .to_object_id(to_object_id)
            .body(body)
            .send()
            .await;
        decode::<_, wire::Link, _>(&call, "associations.create", result)
            .map(wire::Link::into_public)
    }

    /// Associates two records with the default (unlabeled) type of their object types
    /// (`PUT .../associations/default/{toObjectType}/{toObjectId}`).
    pub async fn associate_default(
        &self,
        object_type: &str,
        object_id: &str,
        to_object_type: &str,
        to_object_id: &str,
    ) -> Result<AssociationBatch<DefaultAssociation>> {
        check_pair(object_type, object_id, to_object_type, to_object_id)?;
        let (call, api) = start_v4(&self.client).await?;
        let result = api
            .create_default()
            .from_object_type(object_type)
            .from_object_id(object_id)
            .to_object_type(to_object_type)
            .to_object_id(to_object_id)
            .send()
            .await;
        decode::<_, wire::Batch<wire::DefaultResult>, _>(
            &call,
            "associations.create_default",
            result,
        )
        .map(|batch| batch.into_public(wire::DefaultResult::into_public))
    }

    /// Removes every association between two records (`DELETE .../associations/
    /// {toObjectType}/{toObjectId}`).
    ///
    /// Removing all primary associations of a lead makes HubSpot delete the lead.
    pub async fn remove_all(
        &self,
        object_type: &str,
        object_id: &str,
        to_object_type: &str,
        to_object_id: &str,
    ) -> Result<()> {
        check_pair(object_type, object_id, to_object_type, to_object_id)?;
        let (call, api) = start_v4(&self.client).await?;
        let result = api
            .archive()
            .object_type(object_type)
            .object_id(object_id)
            .to_object_type(to_object_type)
            .to_object_id(to_object_id)
            .send()
            .await;
        call.finish("associations.archive", result, Vec::new)
    }

    /// One page of a record's associations to an object type (`GET /crm/v4/objects/
    /// {objectType}/{objectId}/associations/{toObjectType}`): `limit` at most 500, `after`
    /// from the previous page.
    pub async fn list_page(
        &self,
        object_type: &str,
        object_id: &str,
        to_object_type: &str,
        limit: Option<u32>,
        after: Option<&str>,
    ) -> Result<Page<AssociationTarget>> {
        check_object_type("objectType", object_type)?;
        validate_record_id("objectId", object_id)?;
        check_object_type("toObjectType", to_object_type)?;
        if let Some(limit) = limit.filter(|&l| l == 0 || l > limits::MAX_LIST_LIMIT) {
            return Err(Error::validation(
                "limit",
                format!("{limit} is outside 1..={}", limits::MAX_LIST_LIMIT),
            ));
        }
        if after.is_some_and(|a| a.trim().is_empty()) {
            return Err(Error::validation("after", "must not be blank"));
        }
        let (call, api) = start_v4(&self.client).await?;
        let mut request = api
            .list()
            .object_type(object_type)
            .object_id(object_id)
            .to_object_type(to_object_type);
        if let Some(limit) = limit {
            request = request.limit(limit as i32);
        }
        if let Some(after) = after {
            request = request.after(after.to_owned());
        }
        let page: wire::ListPage = decode(&call, "associations.list", request.send().await)?;
        Ok(Page {
            next_after: page.paging.and_then(wire::Paging::next_after),
            results: page
                .results
                .into_iter()
                .map(wire::Target::into_public)
                .collect(),
            total: None,
        })
    }

    /// All of a record's associations to an object type, following pages of 500.
    pub async fn list_all(
        &self,
        object_type: &str,
        object_id: &str,
        to_object_type: &str,
    ) -> Result<Vec<AssociationTarget>> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .list_page(
                    object_type,
                    object_id,
                    to_object_type,
                    Some(limits::MAX_LIST_LIMIT),
                    after.as_deref(),
                )
                .await?;
            all.extend(page.results);
            match page.next_after {
                // A cursor that does not move would page forever.
                Some(next) if after.as_deref() == Some(next.as_str()) => {
                    return Err(Error::Decode {
                        status: 200,
                        message: format!("the next-page cursor `{next}` repeats the last one"),
                        body: String::new(),
                    });
                }
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Creates up to 2,000 associations between records of two object types
    /// (`POST /crm/v4/associations/{from}/{to}/batch/create`). Failures of single inputs
    /// come back in [`AssociationBatch::errors`].
    pub async fn batch_create(
        &self,
        from_object_type: &str,
        to_object_type: &str,
        inputs: &[AssociationInput],
    ) -> Result<AssociationBatch<AssociationLink>> {
        check_object_type("fromObjectType", from_object_type)?;
        check_object_type("toObjectType", to_object_type)?;
        check_batch_size(inputs.len(), limits::MAX_BATCH_CREATE)?;
        for (i, input) in inputs.iter().enumerate() {
            validate_record_id("from.id", &input.from_id).map_err(|e| e.at_item(i))?;
            validate_record_id("to.id", &input.to_id).map_err(|e| e.at_item(i))?;
            check_types("types", &input.types).map_err(|e| e.at_item(i))?;
        }
        let body = v4::types::BatchInputPublicAssociationMultiPost {
            inputs: inputs
                .iter()
                .map(|input| v4::types::PublicAssociationMultiPost {
                    from: v4::types::PublicObjectId {
                        id: input.from_id.clone(),
                    },
                    to: v4::types::PublicObjectId {
                        id: input.to_id.clone(),
                    },
                    types: input.types.iter().map(spec).collect(),
                })
                .collect(),
        };
        let (call, api) = start_v4(&self.client).await?;
        let result = api
            .batch_create()
            .from_object_type(from_object_type)
            .to_object_type(to_object_type)
            .body(body)
            .send()
            .await;
        decode::<_, wire::Batch<wire::Link>, _>(&call, "associations.batch_create", result)
            .map(|batch| batch.into_public(wire::Link::into_public))
    }

    /// Reads the associations of up to 1,000 records to an object type
    /// (`POST /crm/v4/associations/{from}/{to}/batch/read`). A record without associations
    /// comes back in [`AssociationBatch::errors`].
    pub async fn batch_read<I, S>(
        &self,
        from_object_type: &str,
        to_object_type: &str,
        ids: I,
    ) -> Result<AssociationBatch<RecordAssociations>>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        check_object_type("fromObjectType", from_object_type)?;
        check_object_type("toObjectType", to_object_type)?;
        let ids: Vec<String> = ids.into_iter().map(Into::into).collect();
        check_batch_size(ids.len(), limits::MAX_BATCH_READ)?;
        for (i, id) in ids.iter().enumerate() {
            validate_record_id("id", id).map_err(|e| e.at_item(i))?;
        }
        let body = v4::types::BatchInputPublicFetchAssociationsBatchRequest {
            inputs: ids
                .into_iter()
                .map(|id| v4::types::PublicFetchAssociationsBatchRequest { after: None, id })
                .collect(),
        };
        let (call, api) = start_v4(&self.client).await?;
        let result = api
            .batch_read()
            .from_object_type(from_object_type)
            .to_object_type(to_object_type)
            .body(body)
            .send()
            .await;
        decode::<_, wire::Batch<wire::ReadResult>, _>(&call, "associations.batch_read", result)
            .map(|batch| batch.into_public(wire::ReadResult::into_public))
    }

    /// Removes every association between each input's record and its `to_ids`
    /// (`POST /crm/v4/associations/{from}/{to}/batch/archive`).
    pub async fn batch_remove(
        &self,
        from_object_type: &str,
        to_object_type: &str,
        inputs: &[AssociationRemoval],
    ) -> Result<()> {
        check_object_type("fromObjectType", from_object_type)?;
        check_object_type("toObjectType", to_object_type)?;
        // HubSpot documents no limit for this batch; only emptiness is checked.
        check_batch_size(inputs.len(), usize::MAX)?;
        for (i, input) in inputs.iter().enumerate() {
            validate_record_id("from.id", &input.from_id).map_err(|e| e.at_item(i))?;
            if input.to_ids.is_empty() {
                return Err(ValidationError::new("to", "needs at least one record id")
                    .at_item(i)
                    .into());
            }
            for (j, to) in input.to_ids.iter().enumerate() {
                validate_record_id(&format!("to[{j}].id"), to).map_err(|e| e.at_item(i))?;
            }
        }
        let body = v4::types::BatchInputPublicAssociationMultiArchive {
            inputs: inputs
                .iter()
                .map(|input| v4::types::PublicAssociationMultiArchive {
                    from: v4::types::PublicObjectId {
                        id: input.from_id.clone(),
                    },
                    to: input
                        .to_ids
                        .iter()
                        .map(|id| v4::types::PublicObjectId { id: id.clone() })
                        .collect(),
                })
                .collect(),
        };
        let (call, api) = start_v4(&self.client).await?;
        let result = api
            .batch_archive()
            .from_object_type(from_object_type)
            .to_object_type(to_object_type)
            .body(body)
            .send()
            .await;
        call.finish("associations.batch_archive", result, Vec::new)
    }

    /// The association types (HubSpot-defined and custom labels) from one object type to
    /// another (`GET /crm/v4/associations/{from}/{to}/labels`).
    ///
    /// Asked once per pair and client: clones of the client share the answer. Call
    /// [`Self::refresh_labels`] after labels change in HubSpot.
    pub async fn labels(
        &self,
        from_object_type: &str,
        to_object_type: &str,
    ) -> Result<Vec<AssociationLabel>> {
        check_object_type("fromObjectType", from_object_type)?;
        check_object_type("toObjectType", to_object_type)?;
        let slot = self
            .client
            .shared()
            .labels
            .slot(from_object_type, to_object_type);
        let labels = slot
            .get_or_try_init(|| self.fetch_labels(from_object_type, to_object_type))
            .await?;
        Ok(labels.to_vec())
    }

    /// Asks HubSpot for the labels of a pair again and caches the answer.
    pub async fn refresh_labels(
        &self,
        from_object_type: &str,
        to_object_type: &str,
    ) -> Result<Vec<AssociationLabel>> {
        check_object_type("fromObjectType", from_object_type)?;
        check_object_type("toObjectType", to_object_type)?;
        self.client
            .shared()
            .labels
            .forget(from_object_type, to_object_type);
        self.labels(from_object_type, to_object_type).await
    }

    async fn fetch_labels(&self, from: &str, to: &str) -> Result<Arc<[AssociationLabel]>> {
        let (call, api) = self
            .client
            .start_call(labels_api::Client::new_with_client)
            .await?;
        let result = api
            .list()
            .from_object_type(from)
            .to_object_type(to)
            .send()
            .await;
        let labels: wire::Labels = decode(&call, "association_labels.list", result)?;
        Ok(labels
            .results
            .into_iter()
            .map(wire::TypeWithLabel::into_public)
            .collect())
    }

    /// The association type with `label` from one object type to another, compared without
    /// regard to case (an exact match wins). Uses the cached labels of the pair.
    ///
    /// An unknown label is a [`Error::Validation`] on field `label` listing the labels that
    /// exist.
    pub async fn type_for_label(
        &self,
        from_object_type: &str,
        to_object_type: &str,
        label: &str,
    ) -> Result<AssociationType> {
        if label.trim().is_empty() {
            return Err(Error::validation("label", "must not be blank"));
        }
        let labels = self.labels(from_object_type, to_object_type).await?;
        find_label(&labels, from_object_type, to_object_type, label).map_err(Error::from)
    }

    /// Associates a lead with a record by the given types.
    pub async fn associate_lead(
        &self,
        lead_id: &str,
        to_object_type: &str,
        to_id: &str,
        types: &[AssociationType],
    ) -> Result<AssociationLink> {
        self.associate("leads", lead_id, to_object_type, to_id, types)
            .await
    }

    /// Associates a lead with a record by a HubSpot-defined type, e.g.
    /// [`LeadAssociation::PrimaryCompany`].
    pub async fn associate_lead_as(
        &self,
        lead_id: &str,
        association: LeadAssociation,
        to_id: &str,
    ) -> Result<AssociationLink> {
        self.associate_lead(
            lead_id,
            association.to_object_type(),
            to_id,
            &[association.association_type()],
        )
        .await
    }

    /// Associates a lead with a record by an association label, e.g. a company by
    /// `"Decision maker's company"`. The label's type is looked up once per client.
    pub async fn associate_lead_by_label(
        &self,
        lead_id: &str,
        to_object_type: &str,
        to_id: &str,
        label: &str,
    ) -> Result<AssociationLink> {
        check_pair("leads", lead_id, to_object_type, to_id)?;
        let association_type = self.type_for_label("leads", to_object_type, label).await?;
        self.associate_lead(lead_id, to_object_type, to_id, &[association_type])
            .await
    }
}

fn find_label(
    labels: &[AssociationLabel],
    from: &str,
    to: &str,
    wanted: &str,
) -> std::result::Result<AssociationType, ValidationError> {
    let wanted = wanted.trim();
    let named = || labels.iter().filter_map(|l| Some((l, l.label.as_deref()?)));
    if let Some((found, _)) = named().find(|(_, name)| *name == wanted) {
        return Ok(found.association_type());
    }
    let folded: Vec<&AssociationLabel> = named()
        .filter(|(_, name)| name.to_lowercase() == wanted.to_lowercase())
        .map(|(l, _)| l)
        .collect();
    match folded.as_slice() {
        [one] => Ok(one.association_type()),
        [] => {
            let known: Vec<String> = named().map(|(_, name)| format!("`{name}`")).collect();
            let known = if known.is_empty() {
                "there are none".to_owned()
            } else {
                format!("labels are {}", known.join(", "))
            };
            Err(ValidationError::new(
                "label",
                format!("`{wanted}` is not an association label from {from} to {to}; {known}"),
            ))
        }
        several => {
            let ids: Vec<String> = several.iter().map(|l| l.type_id.to_string()).collect();
            Err(ValidationError::new(
                "label",
                format!(
                    "`{wanted}` matches several labels from {from} to {to} that differ only in case (type ids {}); give it exactly",
                    ids.join(", ")
                ),
            ))
        }
    }
}

fn spec(t: &AssociationType) -> v4::types::AssociationSpec {
    v4::types::AssociationSpec {
        association_category: t.category.as_str().to_owned(),
        association_type_id: t.type_id,
    }
}

/// Object type names go into the path: they must be names, not blanks or paths.
pub(crate) fn check_object_type(
    field: &str,
    object_type: &str,
) -> std::result::Result<(), ValidationError> {
    if object_type.trim().is_empty() {
        return Err(ValidationError::new(field, "must not be blank"));
    }
    // Names (`contacts`, `p_custom`) and ids (`0-1`, `2-1234`) use only these characters.
    if !object_type
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ValidationError::new(
            field,
            format!("`{object_type}` is not an object type name or id (e.g. `contacts`, `0-1`)"),
        ));
    }
    Ok(())
}

fn check_pair(
    object_type: &str,
    object_id: &str,
    to_object_type: &str,
    to_object_id: &str,
) -> std::result::Result<(), ValidationError> {
    check_object_type("objectType", object_type)?;
    validate_record_id("objectId", object_id)?;
    check_object_type("toObjectType", to_object_type)?;
    validate_record_id("toObjectId", to_object_id)
}

fn check_types(field: &str, types: &[AssociationType]) -> std::result::Result<(), ValidationError> {
    if types.is_empty() {
        return Err(ValidationError::new(
            field,
            "needs at least one association type",
        ));
    }
    for (i, t) in types.iter().enumerate() {
        if t.type_id <= 0 {
            return Err(ValidationError::new(
                format!("{field}[{i}].associationTypeId"),
                format!("{} is not an association type id", t.type_id),
            ));
        }
        if t.category.as_str().trim().is_empty() {
            return Err(ValidationError::new(
                format!("{field}[{i}].associationCategory"),
                "must not be blank",
            ));
        }
    }
    Ok(())
}

fn check_batch_size(len: usize, max: usize) -> std::result::Result<(), ValidationError> {
    if len == 0 {
        return Err(ValidationError::new("inputs", "needs at least one input"));
    }
    if len > max {
        return Err(ValidationError::new(
            "inputs",
            format!("{len} inputs; HubSpot takes at most {max} per request"),
        ));
    }
    Ok(())
}

/// Reads a generated method's answer into this crate's own, more tolerant shape `L`.
///
/// HubSpot's specs type some fields more strictly than HubSpot fills them (v4 sends record
/// ids as JSON numbers where the spec says strings). When the generated type rejects a
/// success body, the body is read again as `L`; otherwise the generated value is reshaped
/// into `L`, so both paths end in the same type.
pub(crate) fn decode<G, L, E>(
    call: &Call,
    operation: &str,
    result: std::result::Result<ResponseValue<G>, progenitor_client::Error<E>>,
) -> Result<L>
where
    G: Serialize,
    L: DeserializeOwned,
{
    match result {
        Err(progenitor_client::Error::InvalidResponsePayload(body, error)) => {
            match serde_json::from_slice::<L>(&body) {
                Ok(value) => Ok(value),
                Err(_) => call
                    .finish(
                        operation,
                        Err::<ResponseValue<G>, _>(
                            progenitor_client::Error::<E>::InvalidResponsePayload(body, error),
                        ),
                        Vec::new,
                    )
                    .and_then(|generated| reshape(call, &generated)),
            }
        }
        other => {
            let generated = call.finish(operation, other, Vec::new)?;
            reshape(call, &generated)
        }
    }
}

fn reshape<G: Serialize, L: DeserializeOwned>(call: &Call, value: &G) -> Result<L> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|e| Error::Decode {
            status: call
                .record
                .lock()
                .map(|r| r.status)
                .unwrap_or_default()
                .unwrap_or(200),
            message: e.to_string(),
            body: String::new(),
        })
}

/// The shapes HubSpot sends, read leniently: ids as strings or numbers, lists and optional
/// fields defaulted.
mod wire {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer};

    use super::{
        AssociationBatch, AssociationLabel, AssociationLink, AssociationTarget, DefaultAssociation,
        RecordAssociations,
    };
    use crate::error::ApiErrorDetail;
    use crate::model::{AssociationCategory, AssociationType, BatchItemError};

    /// A record id sent as a string or a number.
    pub(super) fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Id {
            Text(String),
            Unsigned(u64),
            Signed(i64),
        }
        Ok(match Id::deserialize(deserializer)? {
            Id::Text(text) => text,
            Id::Unsigned(n) => n.to_string(),
            Id::Signed(n) => n.to_string(),
        })
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(super) struct TypeWithLabel {
        category: String,
        type_id: i32,
        #[serde(default)]
        label: Option<String>,
    }

    impl TypeWithLabel {
        pub(super) fn into_public(self) -> AssociationLabel {
            AssociationLabel {
                category: AssociationCategory::parse(&self.category),
                type_id: self.type_id,
                label: self.label,
            }
        }
    }

    #[derive(Deserialize)]
    pub(super) struct Labels {
        #[serde(default)]
        pub(super) results: Vec<TypeWithLabel>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Target {
        #[serde(deserialize_with = "id")]
        to_object_id: String,
        #[serde(default)]
        association_types: Vec<TypeWithLabel>,
    }

    impl Target {
        pub(super) fn into_public(self) -> AssociationTarget {
            AssociationTarget {
                to_id: self.to_object_id,
                types: self
                    .association_types
                    .into_iter()
                    .map(TypeWithLabel::into_public)
                    .collect(),
            }
        }
    }

    #[derive(Deserialize)]
    pub(super) struct Next {
        #[serde(deserialize_with = "id")]
        after: String,
    }

    #[derive(Deserialize)]
    pub(super) struct Paging {
        #[serde(default)]
        next: Option<Next>,
    }

    impl Paging {
        pub(super) fn next_after(self) -> Option<String> {
            self.next.map(|n| n.after).filter(|a| !a.is_empty())
        }
    }

    #[derive(Deserialize)]
    pub(super) struct ListPage {
        #[serde(default)]
        pub(super) results: Vec<Target>,
        #[serde(default)]
        pub(super) paging: Option<Paging>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Link {
        #[serde(default)]
        from_object_type_id: String,
        #[serde(deserialize_with = "id")]
        from_object_id: String,
        #[serde(default)]
        to_object_type_id: String,
        #[serde(deserialize_with = "id")]
        to_object_id: String,
        #[serde(default)]
        labels: Vec<Option<String>>,
    }

    impl Link {
        pub(super) fn into_public(self) -> AssociationLink {
            AssociationLink {
                from_object_type_id: self.from_object_type_id,
                from_id: self.from_object_id,
                to_object_type_id: self.to_object_type_id,
                to_id: self.to_object_id,
                labels: self.labels.into_iter().flatten().collect(),
            }
        }
    }

    #[derive(Deserialize)]
    pub(super) struct ObjectId {
        #[serde(deserialize_with = "id")]
        id: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Spec {
        association_category: String,
        association_type_id: i32,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(super) struct DefaultResult {
        association_spec: Spec,
        from: ObjectId,
        to: ObjectId,
    }

    impl DefaultResult {
        pub(super) fn into_public(self) -> DefaultAssociation {
            DefaultAssociation {
                from_id: self.from.id,
                to_id: self.to.id,
                association_type: AssociationType {
                    category: AssociationCategory::parse(
                        &self.association_spec.association_category,
                    ),
                    type_id: self.association_spec.association_type_id,
                },
            }
        }
    }

    #[derive(Deserialize)]
    pub(super) struct ReadResult {
        from: ObjectId,
        #[serde(default)]
        to: Vec<Target>,
        #[serde(default)]
        paging: Option<Paging>,
    }

    impl ReadResult {
        pub(super) fn into_public(self) -> RecordAssociations {
            RecordAssociations {
                from_id: self.from.id,
                to: self.to.into_iter().map(Target::into_public).collect(),
                next_after: self.paging.and_then(Paging::next_after),
            }
        }
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Detail {
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        code: Option<String>,
        #[serde(default, rename = "in")]
        in_: Option<String>,
        #[serde(default)]
        sub_category: Option<serde_json::Value>,
        #[serde(default)]
        context: serde_json::Value,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(super) struct ItemError {
        #[serde(default)]
        status: Option<String>,
        #[serde(default)]
        category: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        context: serde_json::Value,
        #[serde(default)]
        errors: Vec<Detail>,
    }

    /// Context values are lists of strings; a single value, a number or an unexpected shape
    /// is kept as text rather than failing the whole answer.
    fn context(value: serde_json::Value) -> BTreeMap<String, Vec<String>> {
        let text = |v: serde_json::Value| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        match value {
            serde_json::Value::Object(map) => map
                .into_iter()
                .map(|(key, value)| {
                    let values = match value {
                        serde_json::Value::Array(items) => items.into_iter().map(text).collect(),
                        other => vec![text(other)],
                    };
                    (key, values)
                })
                .collect(),
            serde_json::Value::Null => BTreeMap::new(),
            other => BTreeMap::from([(String::new(), vec![text(other)])]),
        }
    }

    impl ItemError {
        fn into_public(self) -> BatchItemError {
            BatchItemError {
                status: self.status,
                category: self.category,
                message: self.message,
                context: context(self.context),
                errors: self
                    .errors
                    .into_iter()
                    .map(|d| ApiErrorDetail {
                        message: d.message,
                        code: d.code,
                        in_: d.in_,
                        sub_category: d.sub_category.map(|s| match s {
                            serde_json::Value::String(s) => s,
                            other => other.to_string(),
                        }),
                        context: context(d.context),
                    })
                    .collect(),
            }
        }
    }

    #[derive(Deserialize)]
    pub(super) struct Batch<T> {
        #[serde(default)]
        status: String,
        #[serde(default = "Vec::new")]
        results: Vec<T>,
        #[serde(default)]
        errors: Vec<ItemError>,
    }

    impl<T> Batch<T> {
        pub(super) fn into_public<P>(self, item: impl FnMut(T) -> P) -> AssociationBatch<P> {
            AssociationBatch {
                status: self.status,
                results: self.results.into_iter().map(item).collect(),
                errors: self
                    .errors
                    .into_iter()
                    .map(ItemError::into_public)
                    .collect(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_enum_and_table_agree() {
        for association in LeadAssociation::ALL {
            let table = hubspot_defined("leads", association.to_object_type());
            assert!(
                table.contains(&(association.name(), association.association_type())),
                "{association:?} missing from the table"
            );
        }
        let listed: usize = STANDARD_OBJECT_TYPES
            .iter()
            .map(|(to, _, _)| hubspot_defined("leads", to).len())
            .sum();
        assert_eq!(listed, LeadAssociation::ALL.len());
    }

    #[test]
    fn reverse_enum_and_table_agree() {
        for association in ToLeadAssociation::ALL {
            let table = hubspot_defined(association.from_object_type(), "leads");
            assert!(table.contains(&(association.name(), association.association_type())));
        }
        let listed: usize = STANDARD_OBJECT_TYPES
            .iter()
            .map(|(from, _, _)| hubspot_defined(from, "leads").len())
            .sum();
        assert_eq!(listed, ToLeadAssociation::ALL.len());
    }

    #[test]
    fn documented_ids() {
        let ids: Vec<i32> = LeadAssociation::ALL.iter().map(|a| a.type_id()).collect();
        assert_eq!(
            ids,
            [
                578, 608, 610, 580, 1037, 582, 596, 598, 600, 854, 646, 602, 1162
            ]
        );
        let ids: Vec<i32> = ToLeadAssociation::ALL.iter().map(|a| a.type_id()).collect();
        assert_eq!(ids, [609, 611, 1038, 583, 597, 601, 855, 647, 603, 1161]);
    }

    #[test]
    fn undocumented_reverse_types_are_absent() {
        assert!(hubspot_defined("emails", "leads").is_empty());
        assert!(hubspot_defined("leads", "tickets").is_empty());
        assert!(hubspot_defined("contacts", "companies").is_empty());
        // No HubSpot-defined type from a contact to a lead is a primary one.
        assert_eq!(hubspot_defined("contacts", "leads").len(), 1);
        assert_eq!(hubspot_defined("companies", "leads").len(), 1);
    }

    #[test]
    fn object_types_by_any_name() {
        assert_eq!(
            hubspot_defined("0-136", "contact"),
            hubspot_defined("leads", "contacts")
        );
        assert_eq!(
            hubspot_defined("LEAD", "0-2"),
            hubspot_defined("leads", "companies")
        );
        assert_eq!(
            LabelCache::key("Lead", "0-1"),
            LabelCache::key("leads", "contacts")
        );
    }

    fn label(category: AssociationCategory, type_id: i32, label: Option<&str>) -> AssociationLabel {
        AssociationLabel {
            category,
            type_id,
            label: label.map(str::to_owned),
        }
    }

    #[test]
    fn label_lookup_prefers_exact_then_folds_case() {
        let labels = [
            label(AssociationCategory::HubSpotDefined, 610, None),
            label(AssociationCategory::HubSpotDefined, 580, Some("Primary")),
            label(AssociationCategory::UserDefined, 31, Some("Billing")),
            label(AssociationCategory::UserDefined, 32, Some("billing")),
            label(AssociationCategory::UserDefined, 33, Some("Partner")),
        ];
        let find = |l| find_label(&labels, "leads", "companies", l);
        assert_eq!(find("primary").unwrap(), AssociationType::hubspot(580));
        assert_eq!(find("billing").unwrap().type_id, 32);
        assert_eq!(find("Billing").unwrap().type_id, 31);
        assert_eq!(
            find(" PARTNER ").unwrap(),
            AssociationType {
                category: AssociationCategory::UserDefined,
                type_id: 33
            }
        );
        let ambiguous = find("BILLING").unwrap_err();
        assert!(ambiguous.reason.contains("31, 32"), "{ambiguous}");
        let unknown = find("Reseller").unwrap_err();
        assert_eq!(unknown.field, "label");
        assert!(
            unknown
                .reason
                .contains("`Primary`, `Billing`, `billing`, `Partner`"),
            "{unknown}"
        );
    }

    #[test]
    fn object_type_names_are_checked() {
        assert!(check_object_type("t", "leads").is_ok());
        assert!(check_object_type("t", "2-12345").is_ok());
        assert_eq!(check_object_type("t", "  ").unwrap_err().field, "t");
        assert!(check_object_type("t", "leads/1").is_err());
        assert!(check_object_type("t", "lea ds").is_err());
    }
}
