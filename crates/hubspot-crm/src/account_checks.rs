//! Checks of the values a write sends against what the account defines, before the first
//! request. HubSpot refuses a whole batch for one value it does not accept (a dropdown value
//! that is not an option, a stage of another pipeline, an unknown owner), so a value found
//! here costs its own input and nothing else. Opt-in:
//! [`ClientBuilder::account_checks`](crate::ClientBuilder::account_checks), or
//! [`Objects::with_account_checks`] for one handle.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::associations::{standard_object_type, standard_type_id};
use crate::error::{Result, ValidationError};
use crate::model::PropertyDefinitions;
use crate::objects::{CrmObject, Objects};
use crate::owners::AccountOwners;
use crate::pipelines::AccountPipelines;
use crate::property_validations::ValidationRules;
use crate::version::ApiVersion;

/// The property holding a record's owner: an owner id, or `""` to clear it.
const OWNER_PROPERTY: &str = "hubspot_owner_id";

/// What one call checks its writes against, read (or taken from the client's caches) once
/// before its first request.
pub(crate) struct AccountChecks {
    definitions: Arc<PropertyDefinitions>,
    /// The account's validation rules, on 2026-09: the version whose writes HubSpot checks
    /// against the account's admin-configured rules (hubspot-facts.md, "API versions").
    rules: Option<Arc<ValidationRules>>,
    /// Read only when a write names a pipeline or a stage.
    pipelines: Option<Arc<AccountPipelines>>,
    /// Read only when a write names an owner.
    owners: Option<Arc<AccountOwners>>,
    pipeline_property: &'static str,
    stage_property: &'static str,
}

impl AccountChecks {
    /// Checks the values of one write; the error names the property.
    pub(crate) fn check(
        &self,
        values: &BTreeMap<String, String>,
    ) -> std::result::Result<(), ValidationError> {
        self.definitions.check_values(values)?;
        if let Some(rules) = &self.rules {
            rules.check_values(values)?;
        }
        self.check_pipeline_and_stage(values)?;
        self.check_owner(values)
    }

    fn check_pipeline_and_stage(
        &self,
        values: &BTreeMap<String, String>,
    ) -> std::result::Result<(), ValidationError> {
        let Some(pipelines) = &self.pipelines else {
            return Ok(());
        };
        let pipeline = set_value(values, self.pipeline_property);
        if let Some(pipeline) = pipeline {
            pipelines
                .check_pipeline(pipeline)
                .map_err(|why| ValidationError::new(self.pipeline_property, why))?;
        }
        let Some(stage) = set_value(values, self.stage_property) else {
            return Ok(());
        };
        // Without a pipeline in the write, the record's is unknown here (a new record's is
        // the account's default, which HubSpot's answers do not mark): any pipeline's stage
        // passes, and HubSpot checks the rest.
        pipelines
            .check_stage(pipeline, stage)
            .map_err(|why| ValidationError::new(self.stage_property, why))
    }

    fn check_owner(
        &self,
        values: &BTreeMap<String, String>,
    ) -> std::result::Result<(), ValidationError> {
        match (&self.owners, set_value(values, OWNER_PROPERTY)) {
            (Some(owners), Some(owner)) if !owners.contains(owner) => Err(ValidationError::new(
                OWNER_PROPERTY,
                format!(
                    "`{owner}` is not the id of one of the account's {} active owners",
                    owners.len()
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// The value a write sets `property` to; `None` when it leaves it alone or clears it.
fn set_value<'v>(values: &'v BTreeMap<String, String>, property: &str) -> Option<&'v str> {
    values
        .get(property)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

impl<O: CrmObject> Objects<O> {
    /// This handle with the [account checks](crate::ClientBuilder::account_checks) on or
    /// off, whatever the client's setting.
    ///
    /// ```no_run
    /// # async fn run(client: hubspot_crm::Client) -> hubspot_crm::Result<()> {
    /// use hubspot_crm::NewRecord;
    ///
    /// let leads = client.leads().with_account_checks(true);
    /// // Refused before sending: `LUKEWARM` is not one of the account's lead labels.
    /// let refused = leads
    ///     .create_many(vec![
    ///         NewRecord::new()
    ///             .property("hs_lead_name", "Ada")
    ///             .property("hs_lead_label", "LUKEWARM"),
    ///     ])
    ///     .await;
    /// assert!(matches!(refused, Err(hubspot_crm::Error::Validation(_))));
    /// # Ok(()) }
    /// ```
    pub fn with_account_checks(mut self, on: bool) -> Self {
        self.set_account_checks(on);
        self
    }

    /// Whether this handle checks writes against the account.
    pub fn account_checks(&self) -> bool {
        self.account_checks_choice()
            .unwrap_or_else(|| self.client().account_checks())
    }

    /// What the writes of one call are checked against, when the checks are on: `None`
    /// when they are off.
    pub(crate) async fn account_checks_for<'v>(
        &self,
        writes: impl IntoIterator<Item = &'v BTreeMap<String, String>>,
    ) -> Result<Option<AccountChecks>> {
        if !self.account_checks() {
            return Ok(None);
        }
        let (pipeline_property, stage_property) = self.stage_properties();
        let (mut names_stage, mut names_owner) = (false, false);
        for values in writes {
            names_stage |= set_value(values, pipeline_property).is_some()
                || set_value(values, stage_property).is_some();
            names_owner |= set_value(values, OWNER_PROPERTY).is_some();
        }
        let client = self.client();
        let definitions = client.properties().definitions(self.object_type()).await?;
        let rules = match client.api_version() {
            ApiVersion::V2026_09 => {
                let type_id = self.type_id_for_rules().await?;
                Some(client.property_validations().of(&type_id).await?)
            }
            ApiVersion::V3 => None,
        };
        let pipelines = match names_stage {
            true => Some(client.pipelines().of(self.object_type()).await?),
            false => None,
        };
        let owners = match names_owner {
            true => Some(client.owners().all().await?),
            false => None,
        };
        Ok(Some(AccountChecks {
            definitions,
            rules,
            pipelines,
            owners,
            pipeline_property,
            stage_property,
        }))
    }
}

impl<O: CrmObject> Objects<O> {
    /// The id of the handle's type (`0-136`, `2-N`), which the property validations API
    /// takes in its path: `O`'s id, a standard type's, else what the schemas give (an id as
    /// it is, a custom type's found by name).
    async fn type_id_for_rules(&self) -> Result<String> {
        let object_type = self.object_type();
        if object_type == O::OBJECT_TYPE && !O::OBJECT_TYPE_ID.is_empty() {
            return Ok(O::OBJECT_TYPE_ID.to_owned());
        }
        if let Some(id) = standard_type_id(object_type) {
            return Ok(id.to_owned());
        }
        self.client().schemas().type_id(object_type).await
    }

    /// The properties naming a record's pipeline and stage: `O`'s, and for a type named at
    /// run time ([`AnyObject`](crate::AnyObject)), deals' own (`pipeline`, `dealstage`).
    fn stage_properties(&self) -> (&'static str, &'static str) {
        let deals = standard_object_type(self.object_type()) == Some("deals");
        if O::OBJECT_TYPE.is_empty() && deals {
            ("pipeline", "dealstage")
        } else {
            (O::PIPELINE_PROPERTY, O::STAGE_PROPERTY)
        }
    }
}

/// Checks one write when `checks` is some.
pub(crate) fn check_write(
    checks: Option<&AccountChecks>,
    values: &BTreeMap<String, String>,
) -> std::result::Result<(), ValidationError> {
    checks.map_or(Ok(()), |checks| checks.check(values))
}
