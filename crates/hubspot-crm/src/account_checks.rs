//! Checks of the values a write sends against what the account defines, before the first
//! request. HubSpot refuses a whole batch for one value it does not accept (a dropdown value
//! that is not an option, a stage of another pipeline, an unknown owner), so a value found
//! here costs its own input and nothing else. Opt-in:
//! [`ClientBuilder::account_checks`](crate::ClientBuilder::account_checks), or
//! [`Objects::with_account_checks`] for one handle.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{Result, ValidationError};
use crate::model::PropertyDefinitions;
use crate::objects::{CrmObject, Objects};
use crate::property_validations::ValidationRules;

/// Whether a write makes a record or changes one: a new record's stage belongs to the
/// pipeline it names, else to the type's default pipeline; a change without a pipeline may
/// be to a record of any pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Write {
    /// A create.
    New,
    /// An update or an upsert.
    Change,
}

/// What one call checks its writes against, read (or taken from the client's caches) once
/// before its first request.
pub(crate) struct AccountChecks {
    definitions: Arc<PropertyDefinitions>,
    rules: Arc<ValidationRules>,
}

impl AccountChecks {
    /// Checks the values of one write; the error names the property.
    pub(crate) fn check(
        &self,
        write: Write,
        values: &BTreeMap<String, String>,
    ) -> std::result::Result<(), ValidationError> {
        let _ = write;
        self.definitions.check_values(values)?;
        self.rules.check_values(values)
    }
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
        let _ = writes.into_iter();
        let client = self.client();
        let definitions = client.properties().definitions(self.object_type()).await?;
        let rules = client
            .property_validations()
            .of(self.object_type_id())
            .await?;
        Ok(Some(AccountChecks { definitions, rules }))
    }
}

/// Checks one write when `checks` is some.
pub(crate) fn check_write(
    checks: Option<&AccountChecks>,
    write: Write,
    values: &BTreeMap<String, String>,
) -> std::result::Result<(), ValidationError> {
    checks.map_or(Ok(()), |checks| checks.check(write, values))
}
