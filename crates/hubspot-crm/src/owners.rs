//! Owners (`/crm/v3/owners`, or `/crm/owners/2026-09`): the users and queues records can be
//! assigned to through `hubspot_owner_id`, cached per client.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use hubspot_crm_api::shared::{CollectionResponsePublicOwnerForwardPaging, PublicOwner};

use crate::client::Client;
use crate::error::{Error, Result, ValidationError};
use crate::model::Page;
use crate::route::{family, on_version};
use crate::validate::after_cursor;

/// Owners per page HubSpot answers at most (the owners guide; the spec's default is 100).
pub const MAX_OWNERS_PAGE_SIZE: u32 = 500;

/// Pages [`Owners::list`] reads at most (250,000 owners at 500 a page) before it ends with
/// [`Error::Paging`] rather than page on.
pub const MAX_OWNER_PAGES: usize = 500;

impl Client {
    /// The account's owners: the users (and queues) records can be assigned to.
    pub fn owners(&self) -> Owners {
        Owners::new(self.clone())
    }
}

/// An owner: the generated `PublicOwner` (fields through `Deref`): its `id` is what
/// `hubspot_owner_id` holds.
#[derive(Clone, Debug)]
pub struct Owner(PublicOwner);

impl Owner {
    /// Whether records can be assigned to it: not archived (a deactivated user).
    pub fn is_active(&self) -> bool {
        !self.0.archived
    }

    /// First and last name, as far as HubSpot knows them; `None` when it knows neither.
    pub fn name(&self) -> Option<String> {
        let parts: Vec<&str> = [&self.0.first_name, &self.0.last_name]
            .into_iter()
            .filter_map(|p| p.as_deref().map(str::trim).filter(|p| !p.is_empty()))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// The generated owner.
    pub fn into_inner(self) -> PublicOwner {
        self.0
    }
}

impl From<PublicOwner> for Owner {
    fn from(owner: PublicOwner) -> Self {
        Owner(owner)
    }
}

crate::model::deref_to!(Owner => PublicOwner, 0);

/// One page of the owners list ([`Owners::list_page`]); every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnerQuery {
    /// Owners per page, 1 to [`MAX_OWNERS_PAGE_SIZE`] (HubSpot's default when `None`: 100).
    pub limit: Option<u32>,
    /// The cursor of the page, from the previous page's [`Page::next_after`].
    pub after: Option<String>,
    /// Only the owner with this email address.
    pub email: Option<String>,
    /// Archived owners instead of active ones.
    pub archived: bool,
}

impl OwnerQuery {
    /// The first page, HubSpot's page size, active owners.
    pub fn new() -> Self {
        Self::default()
    }

    /// Owners per page, 1 to [`MAX_OWNERS_PAGE_SIZE`].
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The page after `cursor`.
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.after = Some(cursor.into());
        self
    }

    /// Only the owner with this email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Archived owners instead of active ones.
    pub fn archived(mut self, archived: bool) -> Self {
        self.archived = archived;
        self
    }

    fn check(&self) -> std::result::Result<(), ValidationError> {
        if let Some(limit) = self.limit
            && !(1..=MAX_OWNERS_PAGE_SIZE).contains(&limit)
        {
            return Err(ValidationError::new(
                "limit",
                format!(
                    "{limit} is outside 1..={MAX_OWNERS_PAGE_SIZE}, the owners HubSpot answers a page"
                ),
            ));
        }
        after_cursor(self.after.as_deref())?;
        if let Some(email) = &self.email
            && (email.trim().is_empty() || !email.contains('@'))
        {
            return Err(ValidationError::new(
                "email",
                format!("`{}` is not an email address", email.escape_debug()),
            ));
        }
        Ok(())
    }
}

/// The account's active owners by id, as [`Owners::all`] caches them: what
/// `hubspot_owner_id` values to write are checked against.
#[derive(Clone, Debug, Default)]
pub struct AccountOwners {
    by_id: BTreeMap<String, Owner>,
}

impl AccountOwners {
    /// Owners, e.g. from [`Owners::list`]; archived ones are left out.
    pub fn new(owners: impl IntoIterator<Item = Owner>) -> Self {
        AccountOwners {
            by_id: owners
                .into_iter()
                .filter(Owner::is_active)
                .map(|o| (o.id.clone(), o))
                .collect(),
        }
    }

    /// The active owner `owner_id`.
    pub fn get(&self, owner_id: &str) -> Option<&Owner> {
        self.by_id.get(owner_id)
    }

    /// Whether `owner_id` is an active owner's id: a value `hubspot_owner_id` takes.
    pub fn contains(&self, owner_id: &str) -> bool {
        self.by_id.contains_key(owner_id)
    }

    /// The active owner with this email address (compared without case).
    pub fn by_email(&self, email: &str) -> Option<&Owner> {
        self.by_id.values().find(|o| {
            o.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email.trim()))
        })
    }

    /// Every active owner, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Owner> {
        self.by_id.values()
    }

    /// How many active owners there are.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// Checks an owner id for the path: the spec types it as a 32-bit integer.
fn check_owner_id(owner_id: &str) -> std::result::Result<i32, ValidationError> {
    let digits = !owner_id.is_empty() && owner_id.bytes().all(|b| b.is_ascii_digit());
    match owner_id.parse::<i32>() {
        Ok(id) if digits && id > 0 => Ok(id),
        _ => Err(ValidationError::new(
            "ownerId",
            format!(
                "`{}` is not an owner id (a positive 32-bit integer)",
                owner_id.escape_debug()
            ),
        )),
    }
}

/// HubSpot's owners API. Get one with [`Client::owners`].
///
/// ```no_run
/// # async fn run() -> hubspot_crm::Result<()> {
/// let client = hubspot_crm::Client::from_env()?;
/// let owners = client.owners().all().await?;
/// if let Some(owner) = owners.by_email("ada@example.com") {
///     client.leads().update(hubspot_crm::RecordUpdate::new("123").property("hubspot_owner_id", &owner.id)).await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Owners {
    client: Client,
}

impl Owners {
    /// The owners API through `client`.
    pub fn new(client: Client) -> Self {
        Owners { client }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads one page of owners (`GET /crm/v3/owners`, or `/crm/owners/2026-09`).
    pub async fn list_page(&self, query: &OwnerQuery) -> Result<Page<Owner>> {
        query.check()?;
        let (call, api) = self.client.start::<family::Owners>().await?;
        let page: CollectionResponsePublicOwnerForwardPaging = on_version!(api, |api| {
            let mut request = api.list().archived(query.archived);
            if let Some(limit) = query.limit {
                request = request.limit(i32::try_from(limit).unwrap_or(i32::MAX));
            }
            if let Some(after) = &query.after {
                request = request.after(after.clone());
            }
            if let Some(email) = &query.email {
                request = request.email(email.trim().to_owned());
            }
            call.finish(request.send().await, Vec::new)?
        });
        Ok(Page {
            results: page.results.into_iter().map(Owner::from).collect(),
            next_after: page.paging.and_then(|p| p.next).map(|n| n.after),
            total: None,
        })
    }

    /// Reads every active owner, page after page ([`MAX_OWNERS_PAGE_SIZE`] a request). Ends
    /// with [`Error::Paging`] when a cursor comes back that was followed before (paging
    /// would go in a circle) or after [`MAX_OWNER_PAGES`] pages.
    pub async fn list(&self) -> Result<Vec<Owner>> {
        let mut owners = Vec::new();
        let mut seen = HashSet::new();
        let mut query = OwnerQuery::new().limit(MAX_OWNERS_PAGE_SIZE);
        for _ in 0..MAX_OWNER_PAGES {
            let page = self.list_page(&query).await?;
            owners.extend(page.results);
            let Some(next) = page.next_after else {
                return Ok(owners);
            };
            if !seen.insert(next.clone()) {
                return Err(Error::Paging(format!(
                    "owners paging went in a circle: the cursor `{next}` was returned again"
                )));
            }
            query.after = Some(next);
        }
        Err(Error::Paging(format!(
            "owners still named a next page after {MAX_OWNER_PAGES} pages"
        )))
    }

    /// Reads one active owner by id (`GET /crm/v3/owners/{ownerId}`, or its 2026-09 path).
    /// An unknown or archived owner is an [`Error::Api`] with status 404.
    pub async fn get(&self, owner_id: &str) -> Result<Owner> {
        let id = check_owner_id(owner_id)?;
        let (call, api) = self.client.start::<family::Owners>().await?;
        on_version!(api, |api| {
            let result = api.get().owner_id(id).send().await;
            call.finish(result, Vec::new).map(Owner::from)
        })
    }

    /// The account's active owners, read from HubSpot once per client (clones share them)
    /// and read again once they are 10 minutes old; a failed read is not kept. Call
    /// [`Self::refresh`] after owners change.
    pub async fn all(&self) -> Result<Arc<AccountOwners>> {
        self.client
            .caches()
            .owners
            .get_or_try_fetch((), || async {
                Ok::<_, Error>(Arc::new(AccountOwners::new(self.list().await?)))
            })
            .await
    }

    /// Reads the active owners from HubSpot again and caches them.
    pub async fn refresh(&self) -> Result<Arc<AccountOwners>> {
        let owners = Arc::new(AccountOwners::new(self.list().await?));
        self.client.caches().owners.store((), owners.clone());
        Ok(owners)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_ids_are_positive_32_bit_integers() {
        assert_eq!(check_owner_id("52550153"), Ok(52_550_153));
        assert_eq!(check_owner_id("2147483647"), Ok(i32::MAX));
        for bad in ["", "0", "-5", "+5", "2147483648", "12a", " 12", "1/2"] {
            let error = check_owner_id(bad).unwrap_err();
            assert_eq!(error.field, "ownerId", "{bad:?}");
        }
    }

    #[test]
    fn queries_are_checked_field_by_field() {
        assert_eq!(OwnerQuery::new().limit(500).check(), Ok(()));
        assert_eq!(
            OwnerQuery::new().limit(0).check().unwrap_err().field,
            "limit"
        );
        assert_eq!(
            OwnerQuery::new().limit(501).check().unwrap_err().field,
            "limit"
        );
        assert_eq!(
            OwnerQuery::new().after(" ").check().unwrap_err().field,
            "after"
        );
        assert_eq!(
            OwnerQuery::new().email("ada").check().unwrap_err().field,
            "email"
        );
    }
}
