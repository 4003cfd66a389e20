//! Property groups (`/crm/v3/properties/{objectType}/groups`, or the 2026-09 path): the
//! sections an object type's properties are listed in. Every property belongs to one.

use hubspot_crm_api::properties::types as v3;
use hubspot_crm_api::properties_2026_09::types as dated;
use hubspot_crm_api::shared::{PropertyGroupCreate, PropertyGroupUpdate};

use super::Properties;
use super::check;
use crate::error::Result;
use crate::route::{family, on_version};
use crate::validate::check_object_type;

/// A property group as HubSpot defines it in the account: the generated 2026-09
/// `PropertyGroup` (fields through `Deref`: `name`, `label`, `display_order`, `archived`),
/// which v3's answers convert to without loss.
#[derive(Clone, Debug)]
pub struct PropertyGroup(dated::PropertyGroup);

impl PropertyGroup {
    /// The generated group.
    pub fn into_inner(self) -> dated::PropertyGroup {
        self.0
    }
}

impl From<dated::PropertyGroup> for PropertyGroup {
    fn from(group: dated::PropertyGroup) -> Self {
        PropertyGroup(group)
    }
}

impl From<v3::PropertyGroup> for PropertyGroup {
    fn from(group: v3::PropertyGroup) -> Self {
        PropertyGroup(dated::PropertyGroup {
            archived: group.archived,
            display_order: Some(group.display_order),
            label: group.label,
            name: group.name,
        })
    }
}

crate::model::deref_to!(PropertyGroup => dated::PropertyGroup, 0);

impl Properties {
    /// The property groups of an object type (`GET .../groups`).
    pub async fn groups(&self, object_type: &str) -> Result<Vec<PropertyGroup>> {
        check_object_type("objectType", object_type)?;
        let (call, api) = self.client.start::<family::Properties>().await?;
        on_version!(api, |api| {
            let result = api.list_groups().object_type(object_type).send().await;
            let list = call.finish(result, Vec::new)?;
            Ok(list.results.into_iter().map(PropertyGroup::from).collect())
        })
    }

    /// One property group (`GET .../groups/{groupName}`); an unknown group is an
    /// [`Error::Api`](crate::Error::Api) 404.
    pub async fn group(&self, object_type: &str, name: &str) -> Result<PropertyGroup> {
        check_object_type("objectType", object_type)?;
        check::group_name("groupName", name)?;
        let (call, api) = self.client.start::<family::Properties>().await?;
        on_version!(api, |api| {
            let result = api
                .get_group()
                .object_type(object_type)
                .group_name(name)
                .send()
                .await;
            call.finish(result, Vec::new).map(PropertyGroup::from)
        })
    }

    /// Creates a property group (`POST .../groups`). Checked before sending: the name is a
    /// new internal name (lowercase letters, digits and `_`, starting with a letter) and the
    /// label is not blank.
    pub async fn create_group(
        &self,
        object_type: &str,
        group: PropertyGroupCreate,
    ) -> Result<PropertyGroup> {
        check_object_type("objectType", object_type)?;
        check::create_group(&group)?;
        let name = group.name.clone();
        let (call, api) = self.client.start::<family::Properties>().await?;
        let result = on_version!(api, |api| {
            let result = api
                .create_group()
                .object_type(object_type)
                .body(group)
                .send()
                .await;
            call.finish(result, || vec![name]).map(PropertyGroup::from)
        });
        self.forget(object_type);
        result
    }

    /// Changes a property group's label or display order (`PATCH .../groups/{groupName}`).
    /// An update that sets nothing, or a blank label, is refused before sending.
    pub async fn update_group(
        &self,
        object_type: &str,
        name: &str,
        update: PropertyGroupUpdate,
    ) -> Result<PropertyGroup> {
        check_object_type("objectType", object_type)?;
        check::group_name("groupName", name)?;
        check::update_group(&update)?;
        let (call, api) = self.client.start::<family::Properties>().await?;
        let result = on_version!(api, |api| {
            let result = api
                .update_group()
                .object_type(object_type)
                .group_name(name)
                .body(update)
                .send()
                .await;
            call.finish(result, Vec::new).map(PropertyGroup::from)
        });
        self.forget(object_type);
        result
    }

    /// Archives a property group (`DELETE .../groups/{groupName}`).
    pub async fn archive_group(&self, object_type: &str, name: &str) -> Result<()> {
        check_object_type("objectType", object_type)?;
        check::group_name("groupName", name)?;
        let (call, api) = self.client.start::<family::Properties>().await?;
        let result = on_version!(api, |api| {
            let result = api
                .archive_group()
                .object_type(object_type)
                .group_name(name)
                .send()
                .await;
            call.finish(result, Vec::new)
        });
        self.forget(object_type);
        result
    }
}
