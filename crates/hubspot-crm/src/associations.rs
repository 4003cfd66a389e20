//! Associations between records: HubSpot's fixed association type ids for leads, the
//! associations API (v4, or 2026-09), and association labels looked up by name.

use std::collections::HashMap;
use std::sync::Arc;

use futures::TryStreamExt;
use futures::stream::BoxStream;
use hubspot_crm_api::associations as v4;
use hubspot_crm_api::shared::associations::AssociationSpec;
use hubspot_crm_api::shared::{self, PublicObjectId};
use hubspot_crm_api::shared::{BatchInputPublicAssociationMultiPost, PublicAssociationMultiPost};
use hubspot_crm_api::associations_2026_09;

use crate::client::Client;
use crate::error::{ApiError, Error, Result, ValidationError};
use crate::model::{AssociationLabel, AssociationType, Page};
use crate::route::{Versioned, family, on_version};
use crate::stream::{DEFAULT_PREFETCH, cursor_stream};
use crate::transport::Call;
use crate::v2026_09;
use crate::validate::{
    check_batch_size, check_object_type, check_pair, check_types, validate_record_id,
};

/// Limits of HubSpot's associations API (v4 and 2026-09 alike).
pub mod limits {
    /// Results per page of a record's associations.
    pub const MAX_LIST_LIMIT: u32 = 500;
    /// Inputs of one batch read.
    pub const MAX_BATCH_READ: usize = 1_000;
    /// Inputs of one batch create.
    pub const MAX_BATCH_CREATE: usize = 2_000;
    /// Inputs of one batch removal (HubSpot documents none; its batch create's cap is used).
    pub const MAX_BATCH_ARCHIVE: usize = 2_000;
}

/// Rejects a pair of records already named by an earlier input of the same batch: HubSpot's
/// answer names pairs, so two inputs for one pair could not be told apart.
fn check_unique_pair(
    seen: &mut HashMap<(String, String), usize>,
    from: &str,
    to: &str,
    index: usize,
    field: &str,
    remedy: &str,
) -> std::result::Result<(), ValidationError> {
    if let Some(first) = seen.insert((from.to_owned(), to.to_owned()), index) {
        return Err(ValidationError::new(
            field,
            format!(
                "the pair {from} → {to} is also item {first}'s; each pair may appear once in a batch ({remedy})"
            ),
        )
        .at_item(index));
    }
    Ok(())
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
    /// expected (`.into()`), or build a create input with [`LeadAssociation::add_to`].
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
    /// Adds an association of this type with record `to_id` to a lead to create.
    pub fn add_to(
        self,
        record: crate::model::NewRecord,
        to_id: impl Into<String>,
    ) -> crate::model::NewRecord {
        record.associate(to_id, self.association_type())
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

/// A record associated with the record whose associations were listed: HubSpot's
/// `MultiAssociatedObjectWithLabel` (`to_object_id`, and `association_types` with their labels).
/// 2026-09 sends no object type ids in the types: `from_object_type_id` and
/// `to_object_type_id` are `None` there.
pub use v4::types::MultiAssociatedObjectWithLabel as AssociationTarget;

/// Two records that were associated, with the labels now between them: HubSpot's
/// `LabelsBetweenObjectPair`.
pub use shared::LabelsBetweenObjectPair as AssociationLink;

/// A default association made between two records: HubSpot's `PublicDefaultAssociation`.
pub use shared::PublicDefaultAssociation as DefaultAssociation;

/// One record's associations from a batch read: HubSpot's `PublicAssociationMultiWithLabel`
/// (`from`, one page of `to`, and `paging` to this record's next page).
pub use v4::types::PublicAssociationMultiWithLabel as RecordAssociations;

/// HubSpot's answer to an associations batch: what succeeded and what failed (a 207).
#[derive(Clone, Debug)]
pub struct AssociationBatch<T> {
    /// HubSpot's status: `COMPLETE`, `PENDING`, ...
    pub status: String,
    /// The items that succeeded.
    pub results: Vec<T>,
    /// Failures HubSpot reported, naming the inputs concerned in `context`.
    pub errors: Vec<ApiError>,
}

/// One association to create in a batch: the generated `PublicAssociationMultiPost` (fields
/// through `Deref`).
#[derive(Clone, Debug)]
pub struct AssociationInput(PublicAssociationMultiPost);

impl AssociationInput {
    /// An input associating `from_id` with `to_id` by `types`.
    pub fn new(
        from_id: impl Into<String>,
        to_id: impl Into<String>,
        types: impl IntoIterator<Item = AssociationType>,
    ) -> Self {
        AssociationInput(PublicAssociationMultiPost {
            from: PublicObjectId { id: from_id.into() },
            to: PublicObjectId { id: to_id.into() },
            types: types.into_iter().map(|t| spec(&t)).collect(),
        })
    }
}

crate::model::deref_to!(AssociationInput => PublicAssociationMultiPost, 0);

/// Associations to remove in a batch, all those between `from` and each of `to`: the
/// generated `PublicAssociationMultiArchive` (fields through `Deref`).
#[derive(Clone, Debug)]
pub struct AssociationRemoval(shared::PublicAssociationMultiArchive);

impl AssociationRemoval {
    /// A removal of every association between `from_id` and each of `to_ids`.
    pub fn new<I, S>(from_id: impl Into<String>, to_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        AssociationRemoval(shared::PublicAssociationMultiArchive {
            from: PublicObjectId { id: from_id.into() },
            to: to_ids
                .into_iter()
                .map(|id| PublicObjectId { id: id.into() })
                .collect(),
        })
    }
}

crate::model::deref_to!(AssociationRemoval => shared::PublicAssociationMultiArchive, 0);

/// The cache key of a pair of object types: standard types by plural name, whichever way
/// the caller named them.
fn label_key(from: &str, to: &str) -> (String, String) {
    let name = |t: &str| {
        standard_object_type(t)
            .map(str::to_owned)
            .unwrap_or_else(|| t.trim().to_ascii_lowercase())
    };
    (name(from), name(to))
}

/// HubSpot's associations API and association labels, with validation before sending.
///
/// Get one with [`Client::associations`]. The paths named below are v4's; a client on
/// [`ApiVersion::V2026_09`](crate::ApiVersion::V2026_09) sends each request to its dated equivalent
/// (`/crm/objects/2026-09/...` and `/crm/associations/2026-09/...`), with the same bodies and
/// answers. Record ids are checked to be record ids, object
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
///     println!("contact {:?} as {:?}", target.to_object_id, target.association_types);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Associations {
    client: Client,
}

impl Client {
    /// Association types, labels and the associations API (v4, or 2026-09).
    pub fn associations(&self) -> Associations {
        Associations::new(self.clone())
    }
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
        let body: Vec<AssociationSpec> = types.iter().map(spec).collect();
        check_types("types", &body)?;
        let (call, api) = self.client.start::<family::Associations>().await?;
        on_version!(api, |api| {
            let result = api
                .create()
                .object_type(object_type)
                .object_id(object_id)
                .to_object_type(to_object_type)
                .to_object_id(to_object_id)
                .body(body)
                .send()
                .await;
            call.finish(result, Vec::new)
        })
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
        let (call, api) = self.client.start::<family::Associations>().await?;
        let answer = on_version!(api, |api| {
            let result = api
                .create_default()
                .from_object_type(object_type)
                .from_object_id(object_id)
                .to_object_type(to_object_type)
                .to_object_id(to_object_id)
                .send()
                .await;
            call.finish(result, Vec::new)?
        });
        Ok(batch(&call, answer.status, answer.results, answer.errors))
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
        let (call, api) = self.client.start::<family::Associations>().await?;
        on_version!(api, |api| {
            let result = api
                .archive()
                .object_type(object_type)
                .object_id(object_id)
                .to_object_type(to_object_type)
                .to_object_id(to_object_id)
                .send()
                .await;
            call.finish(result, Vec::new)
        })
    }

    /// Removes the given association types between two records, leaving their other types
    /// (`POST /crm/v4/associations/{from}/{to}/batch/labels/archive` with one input, or its
    /// 2026-09 path). A failure HubSpot reports for the input fails the call.
    pub async fn remove_types(
        &self,
        object_type: &str,
        object_id: &str,
        to_object_type: &str,
        to_object_id: &str,
        types: &[AssociationType],
    ) -> Result<()> {
        check_pair(object_type, object_id, to_object_type, to_object_id)?;
        let input = AssociationInput::new(object_id, to_object_id, types.iter().cloned());
        check_types("types", &input.types)?;
        let body = BatchInputPublicAssociationMultiPost {
            inputs: vec![input.0],
        };
        let (call, api) = self.client.start::<family::Associations>().await?;
        on_version!(api, |api| {
            let result = api
                .batch_archive_labels()
                .from_object_type(object_type)
                .to_object_type(to_object_type)
                .body(body)
                .send()
                .await;
            finish_removal(&call, result)
        })
    }

    /// One page of a record's associations to an object type (`GET /crm/v4/objects/
    /// {objectType}/{objectId}/associations/{toObjectType}`): `limit` at most 500, `after`
    /// from the previous page.
    ///
    /// 2026-09 has no such list: there it is a batch read of the one record
    /// (`POST /crm/associations/2026-09/{objectType}/{toObjectType}/batch/read` with
    /// `{id, after}`), whose page size HubSpot sets; `limit` is checked but not sent. A record
    /// without associations is an empty page on both versions.
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
        let (call, api) = self.client.start::<family::Associations>().await?;
        let page = ListPage {
            object_type,
            object_id,
            to_object_type,
            limit,
            after,
        };
        let (paging, results) = match api {
            Versioned::V3(api) => page.by_list(&call, &api).await?,
            Versioned::V2026_09(api) => page.by_batch_read(&call, &api).await?,
        };
        Ok(Page {
            next_after: paging.map(|n| n.after).filter(|a| !a.is_empty()),
            results,
            total: None,
        })
    }

    /// Every association of a record to records of `to_object_type`, page after page (500 a
    /// page on v4; on 2026-09 HubSpot sets the size), the next page fetched while the reader works
    /// through one (as [`crate::StreamOptions::prefetch`] does by default). A cursor seen twice ends it with
    /// [`Error::Paging`].
    pub fn list_stream(
        &self,
        object_type: &str,
        object_id: &str,
        to_object_type: &str,
    ) -> BoxStream<'static, Result<AssociationTarget>> {
        let this = self.clone();
        let (object_type, object_id, to_object_type) = (
            object_type.to_owned(),
            object_id.to_owned(),
            to_object_type.to_owned(),
        );
        cursor_stream(
            limits::MAX_LIST_LIMIT,
            None,
            DEFAULT_PREFETCH,
            move |limit, after| {
                let this = this.clone();
                let (object_type, object_id, to_object_type) = (
                    object_type.clone(),
                    object_id.clone(),
                    to_object_type.clone(),
                );
                async move {
                    this.list_page(
                        &object_type,
                        &object_id,
                        &to_object_type,
                        Some(limit),
                        after.as_deref(),
                    )
                    .await
                }
            },
        )
    }

    /// Every association of a record to records of `to_object_type`, collected from
    /// [`Self::list_stream`].
    pub async fn list_all(
        &self,
        object_type: &str,
        object_id: &str,
        to_object_type: &str,
    ) -> Result<Vec<AssociationTarget>> {
        self.list_stream(object_type, object_id, to_object_type)
            .try_collect()
            .await
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
        let mut pairs = HashMap::new();
        for (i, input) in inputs.iter().enumerate() {
            validate_record_id("from.id", &input.from.id).map_err(|e| e.at_item(i))?;
            validate_record_id("to.id", &input.to.id).map_err(|e| e.at_item(i))?;
            check_types("types", &input.types).map_err(|e| e.at_item(i))?;
            check_unique_pair(
                &mut pairs,
                &input.from.id,
                &input.to.id,
                i,
                "to.id",
                "give all its types in one input",
            )?;
        }
        let body = BatchInputPublicAssociationMultiPost {
            inputs: inputs.iter().map(|input| input.0.clone()).collect(),
        };
        let (call, api) = self.client.start::<family::Associations>().await?;
        on_version!(api, |api| {
            let result = api
                .batch_create()
                .from_object_type(from_object_type)
                .to_object_type(to_object_type)
                .body(body)
                .send()
                .await;
            let answer = call.finish(result, Vec::new)?;
            Ok(batch(&call, answer.status, answer.results, answer.errors))
        })
    }

    /// Reads the associations of up to 1,000 records to an object type
    /// (`POST /crm/v4/associations/{from}/{to}/batch/read`). A record without associations
    /// comes back in [`AssociationBatch::errors`]. Each record's result holds one page of its
    /// associations: where its `paging` names a next page, [`Self::list_stream`] reads the
    /// rest (on 2026-09 HubSpot pages long lists here).
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
        let mut seen = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            validate_record_id("id", id).map_err(|e| e.at_item(i))?;
            if let Some(first) = seen.insert(id.as_str(), i) {
                return Err(ValidationError::new(
                    "id",
                    format!(
                        "`{id}` is also item {first}'s; HubSpot answers once per record, so each id may appear once"
                    ),
                )
                .at_item(i)
                .into());
            }
        }
        let body = shared::BatchInputPublicFetchAssociationsBatchRequest {
            inputs: ids
                .into_iter()
                .map(|id| shared::PublicFetchAssociationsBatchRequest { after: None, id })
                .collect(),
        };
        let (call, api) = self.client.start::<family::Associations>().await?;
        on_version!(api, |api| {
            let result = api
                .batch_read()
                .from_object_type(from_object_type)
                .to_object_type(to_object_type)
                .body(body)
                .send()
                .await;
            let answer = call.finish(result, Vec::new)?;
            let results = answer
                .results
                .into_iter()
                .map(IntoRecordAssociations::into_record_associations)
                .collect();
            Ok(batch(&call, answer.status, results, answer.errors))
        })
    }

    /// Removes every association between each input's record and its `to_ids`
    /// (`POST /crm/v4/associations/{from}/{to}/batch/archive`), up to 2,000 inputs; each pair
    /// of records may appear once.
    pub async fn batch_remove(
        &self,
        from_object_type: &str,
        to_object_type: &str,
        inputs: &[AssociationRemoval],
    ) -> Result<()> {
        check_object_type("fromObjectType", from_object_type)?;
        check_object_type("toObjectType", to_object_type)?;
        check_batch_size(inputs.len(), limits::MAX_BATCH_ARCHIVE)?;
        let mut pairs = HashMap::new();
        for (i, input) in inputs.iter().enumerate() {
            validate_record_id("from.id", &input.from.id).map_err(|e| e.at_item(i))?;
            if input.to.is_empty() {
                return Err(ValidationError::new("to", "needs at least one record id")
                    .at_item(i)
                    .into());
            }
            for (j, to) in input.to.iter().enumerate() {
                let field = format!("to[{j}].id");
                validate_record_id(&field, &to.id).map_err(|e| e.at_item(i))?;
                check_unique_pair(
                    &mut pairs,
                    &input.from.id,
                    &to.id,
                    i,
                    &field,
                    "remove it once",
                )?;
            }
        }
        let body = shared::BatchInputPublicAssociationMultiArchive {
            inputs: inputs.iter().map(|input| input.0.clone()).collect(),
        };
        let (call, api) = self.client.start::<family::Associations>().await?;
        on_version!(api, |api| {
            let result = api
                .batch_archive()
                .from_object_type(from_object_type)
                .to_object_type(to_object_type)
                .body(body)
                .send()
                .await;
            finish_removal(&call, result)
        })
    }

    /// The association types (HubSpot-defined and custom labels) from one object type to
    /// another (`GET /crm/v4/associations/{from}/{to}/labels`).
    ///
    /// Asked once per pair and client: clones of the client share the answer, which is asked
    /// again once it is 10 minutes old; a failed lookup is not kept. Call
    /// [`Self::refresh_labels`] after labels change in HubSpot.
    pub async fn labels(
        &self,
        from_object_type: &str,
        to_object_type: &str,
    ) -> Result<Vec<AssociationLabel>> {
        check_object_type("fromObjectType", from_object_type)?;
        check_object_type("toObjectType", to_object_type)?;
        let labels = self
            .client
            .caches()
            .labels
            .get_or_try_fetch(label_key(from_object_type, to_object_type), || {
                self.fetch_labels(from_object_type, to_object_type)
            })
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
            .caches()
            .labels
            .forget(&label_key(from_object_type, to_object_type));
        self.labels(from_object_type, to_object_type).await
    }

    async fn fetch_labels(&self, from: &str, to: &str) -> Result<Arc<[AssociationLabel]>> {
        let (call, api) = self.client.start::<family::AssociationLabels>().await?;
        // Both versions answer with the same (shared) type.
        let result = on_version!(api, |api| {
            api.list()
                .from_object_type(from)
                .to_object_type(to)
                .send()
                .await
        });
        let labels = call.finish(result, Vec::new)?;
        Ok(labels
            .results
            .into_iter()
            .map(AssociationLabel::from)
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

/// One page of a record's associations to ask for.
struct ListPage<'a> {
    object_type: &'a str,
    object_id: &'a str,
    to_object_type: &'a str,
    limit: Option<u32>,
    after: Option<&'a str>,
}

/// The page's next cursor, and its associations.
type PageParts = (Option<shared::NextPage>, Vec<AssociationTarget>);

impl ListPage<'_> {
    /// The page by v4's list of one record's associations.
    async fn by_list(&self, call: &Call, api: &v4::Client) -> Result<PageParts> {
        let mut request = api
            .list()
            .object_type(self.object_type)
            .object_id(self.object_id)
            .to_object_type(self.to_object_type);
        if let Some(limit) = self.limit {
            request = request.limit(limit as i32);
        }
        if let Some(after) = self.after {
            request = request.after(after.to_owned());
        }
        let page = call.finish(request.send().await, Vec::new)?;
        Ok((page.paging.and_then(|p| p.next), page.results))
    }

    /// The page by a batch read of the one record, where there is no list: HubSpot sets the
    /// page size, and its error item for a record without associations is an empty page.
    async fn by_batch_read(
        &self,
        call: &Call,
        api: &associations_2026_09::Client,
    ) -> Result<PageParts> {
        let body = shared::BatchInputPublicFetchAssociationsBatchRequest {
            inputs: vec![shared::PublicFetchAssociationsBatchRequest {
                after: self.after.map(str::to_owned),
                id: self.object_id.to_owned(),
            }],
        };
        let result = api
            .batch_read()
            .from_object_type(self.object_type)
            .to_object_type(self.to_object_type)
            .body(body)
            .send()
            .await;
        let answer = call.finish(result, Vec::new)?;
        let errors = answer
            .errors
            .iter()
            .map(|e| ApiError::from_json(call.status(), e));
        match answer
            .results
            .into_iter()
            .find(|r| r.from.id == self.object_id)
        {
            Some(record) => {
                let record = v2026_09::record_associations(record);
                Ok((record.paging.and_then(|p| p.next), record.to))
            }
            None => match errors.into_iter().find(|e| !is_no_associations(e)) {
                Some(error) => Err(error.into()),
                None => Ok((None, Vec::new())),
            },
        }
    }
}

/// A batch read's answer for one record, of any version, as v4 shapes it.
trait IntoRecordAssociations {
    fn into_record_associations(self) -> RecordAssociations;
}

impl IntoRecordAssociations for RecordAssociations {
    fn into_record_associations(self) -> RecordAssociations {
        self
    }
}

impl IntoRecordAssociations for associations_2026_09::types::PublicAssociationMultiWithLabel {
    fn into_record_associations(self) -> RecordAssociations {
        v2026_09::record_associations(self)
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

/// The answer of a batch removal: nothing (v4), or a status listing failed inputs (2026-09).
trait RemovalAnswer {
    /// The failed inputs HubSpot reported.
    fn failures(&self) -> &[serde_json::Value];
}

impl RemovalAnswer for () {
    fn failures(&self) -> &[serde_json::Value] {
        &[]
    }
}

impl RemovalAnswer for shared::BatchResponseVoid {
    fn failures(&self) -> &[serde_json::Value] {
        &self.errors
    }
}

/// [`Call::finish`] for a batch removal, whose answer matters only for the failures it
/// reports: a reported failure fails the call (with the first of them), and a 2xx whose body
/// does not read as the spec says is a removal done (HubSpot did the work; v4 answers 204
/// where 2026-09 specifies a status).
fn finish_removal<T: RemovalAnswer, E>(
    call: &Call,
    result: std::result::Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
) -> Result<()> {
    match call.finish(result, Vec::new) {
        Ok(answer) => match answer.failures().first() {
            Some(failure) => Err(ApiError::from_json(call.status(), failure).into()),
            None => Ok(()),
        },
        Err(Error::Decode { status, .. }) if (200..300).contains(&status) => Ok(()),
        Err(error) => Err(error),
    }
}

/// The subcategory of HubSpot's batch-read error for a record without associations.
const NO_ASSOCIATIONS_FOUND: &str = "crm.associations.NO_ASSOCIATIONS_FOUND";

/// A batch read's error item saying the record has no associations, which a list reads as
/// an empty page.
fn is_no_associations(error: &ApiError) -> bool {
    error.sub_category.as_deref() == Some(NO_ASSOCIATIONS_FOUND)
}

fn spec(t: &AssociationType) -> AssociationSpec {
    AssociationSpec {
        association_category: t.category.as_str().to_owned(),
        association_type_id: t.type_id,
    }
}

fn batch<T>(
    call: &Call,
    status: String,
    results: Vec<T>,
    errors: Vec<serde_json::Value>,
) -> AssociationBatch<T> {
    let http_status = call.status();
    AssociationBatch {
        status,
        results,
        errors: errors
            .iter()
            .map(|e| ApiError::from_json(http_status, e))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AssociationCategory;

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
        assert_eq!(label_key("Lead", "0-1"), label_key("leads", "contacts"));
    }

    fn label(category: AssociationCategory, type_id: i32, label: Option<&str>) -> AssociationLabel {
        AssociationLabel::new(category, type_id, label.map(str::to_owned))
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
