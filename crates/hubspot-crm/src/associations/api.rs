//! The associations API for one pair of records, and one record's lists.

use futures::TryStreamExt;
use futures::stream::BoxStream;
use hubspot_crm_api::associations as v4;
use hubspot_crm_api::associations_2026_09;
use hubspot_crm_api::shared::associations::AssociationSpec;
use hubspot_crm_api::shared::{self, BatchInputPublicAssociationMultiPost};

use super::limits;
use super::model::{
    AssociationBatch, AssociationInput, AssociationLink, AssociationTarget, DefaultAssociation,
    batch, finish_removal, spec,
};
use crate::client::Client;
use crate::error::{ApiError, Error, Result};
use crate::model::{AssociationType, Page};
use crate::route::{Versioned, family, on_version};
use crate::stream::{DEFAULT_PREFETCH, cursor_stream};
use crate::transport::Call;
use crate::v2026_09;
use crate::validate::{check_object_type, check_pair, check_types, validate_record_id};

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
    pub(super) client: Client,
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

/// The subcategory of HubSpot's batch-read error for a record without associations.
const NO_ASSOCIATIONS_FOUND: &str = "crm.associations.NO_ASSOCIATIONS_FOUND";

/// A batch read's error item saying the record has no associations, which a list reads as
/// an empty page.
fn is_no_associations(error: &ApiError) -> bool {
    error.sub_category.as_deref() == Some(NO_ASSOCIATIONS_FOUND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_type_names_are_checked() {
        assert!(check_object_type("t", "leads").is_ok());
        assert!(check_object_type("t", "2-12345").is_ok());
        assert_eq!(check_object_type("t", "  ").unwrap_err().field, "t");
        assert!(check_object_type("t", "leads/1").is_err());
        assert!(check_object_type("t", "lea ds").is_err());
    }
}
