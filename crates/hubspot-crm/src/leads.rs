//! Leads: lead-specific rules on top of the generic object layer.

use crate::error::ValidationError;
use crate::model::NewRecord;

/// Checks a lead to create: what HubSpot requires of every lead.
pub(crate) fn validate_new_lead(input: &NewRecord) -> Result<(), ValidationError> {
    crate::objects::validate_new_common(input)
}
