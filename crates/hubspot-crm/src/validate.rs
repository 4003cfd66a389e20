//! Checks of input before anything is sent, one naming scheme for every field: the JSON name
//! HubSpot uses (`associations[0].to.id`, `idProperty`), with the item index added by bulk
//! calls.

use hubspot_crm_api::shared::{self, PublicObjectSearchRequest};

use crate::error::ValidationError;
use crate::model::NewRecord;
use hubspot_crm_api::shared::FilterOperator as Operator;

/// Checks every object's create input: property names are not blank, association target ids
/// are record ids, each association names a type, and every category can be sent.
pub fn validate_new_common(input: &NewRecord) -> Result<(), ValidationError> {
    if let Some(error) = input.unsendable() {
        return Err(error.clone());
    }
    for (i, association) in input.associations.iter().enumerate() {
        validate_record_id(&format!("associations[{i}].to.id"), &association.to.id)?;
        if association.types.is_empty() {
            return Err(ValidationError::new(
                format!("associations[{i}].types"),
                "needs at least one association type",
            ));
        }
        for (j, t) in association.types.iter().enumerate() {
            if t.association_type_id <= 0 {
                return Err(ValidationError::new(
                    format!("associations[{i}].types[{j}].associationTypeId"),
                    format!("{} is not an association type id", t.association_type_id),
                ));
            }
        }
    }
    if input.properties.keys().any(|name| name.trim().is_empty()) {
        return Err(ValidationError::new(
            "properties",
            "a property name is blank",
        ));
    }
    Ok(())
}

/// HubSpot record ids are positive integers, sent as strings.
pub fn validate_record_id(field: &str, id: &str) -> Result<(), ValidationError> {
    if id.is_empty()
        || id.len() > 20
        || !id.bytes().all(|b| b.is_ascii_digit())
        || id.bytes().all(|b| b == b'0')
    {
        return Err(ValidationError::new(
            field,
            format!("`{id}` is not a HubSpot record id (a positive integer)"),
        ));
    }
    Ok(())
}

/// Validates the id of a single-record call: a record id, or any non-blank value of a unique
/// property when `id_property` is set.
pub(crate) fn validate_address(id: &str, id_property: Option<&str>) -> Result<(), ValidationError> {
    match id_property {
        Some(property) if property.trim().is_empty() => {
            Err(ValidationError::new("idProperty", "must not be blank"))
        }
        Some(_) if id.trim().is_empty() => Err(ValidationError::new("id", "must not be blank")),
        Some(_) => Ok(()),
        None => validate_record_id("id", id),
    }
}

/// Object type names go into the path: they must be names, not blanks or paths.
pub(crate) fn check_object_type(field: &str, object_type: &str) -> Result<(), ValidationError> {
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

pub(crate) fn check_pair(
    object_type: &str,
    object_id: &str,
    to_object_type: &str,
    to_object_id: &str,
) -> Result<(), ValidationError> {
    check_object_type("objectType", object_type)?;
    validate_record_id("objectId", object_id)?;
    check_object_type("toObjectType", to_object_type)?;
    validate_record_id("toObjectId", to_object_id)
}

pub(crate) fn check_types(
    field: &str,
    types: &[hubspot_crm_api::associations::types::AssociationSpec],
) -> Result<(), ValidationError> {
    if types.is_empty() {
        return Err(ValidationError::new(
            field,
            "needs at least one association type",
        ));
    }
    for (i, t) in types.iter().enumerate() {
        if t.association_type_id <= 0 {
            return Err(ValidationError::new(
                format!("{field}[{i}].associationTypeId"),
                format!("{} is not an association type id", t.association_type_id),
            ));
        }
        if t.association_category.trim().is_empty() {
            return Err(ValidationError::new(
                format!("{field}[{i}].associationCategory"),
                "must not be blank",
            ));
        }
    }
    Ok(())
}

pub(crate) fn check_batch_size(len: usize, max: usize) -> Result<(), ValidationError> {
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

pub(crate) fn validate_association_path(
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

/// Checks that a filter names a property and carries what its operator compares with.
fn validate_filter(filter: &shared::Filter, field: &str) -> Result<(), ValidationError> {
    if filter.property_name.trim().is_empty() {
        return Err(ValidationError::new(
            format!("{field}.propertyName"),
            "must not be blank",
        ));
    }
    let needs = |what: &str| {
        ValidationError::new(
            field.to_owned(),
            format!("{} needs {what}", filter.operator),
        )
    };
    match filter.operator {
        Operator::Between if filter.value.is_none() || filter.high_value.is_none() => {
            Err(needs("value and high_value"))
        }
        Operator::In | Operator::NotIn if filter.values.is_empty() => {
            Err(needs("at least one of values"))
        }
        Operator::Eq
        | Operator::Neq
        | Operator::Lt
        | Operator::Lte
        | Operator::Gt
        | Operator::Gte
        | Operator::ContainsToken
        | Operator::NotContainsToken
            if filter.value.is_none() =>
        {
            Err(needs("a value"))
        }
        _ => Ok(()),
    }
}

/// Checks a search body against HubSpot's limits.
pub(crate) fn search_request(request: &PublicObjectSearchRequest) -> Result<(), ValidationError> {
    use search_limits::*;
    if request.filter_groups.len() > MAX_FILTER_GROUPS {
        return Err(ValidationError::new(
            "filterGroups",
            format!(
                "{} groups; HubSpot allows at most {MAX_FILTER_GROUPS}",
                request.filter_groups.len()
            ),
        ));
    }
    let mut total = 0;
    for (g, group) in request.filter_groups.iter().enumerate() {
        if group.filters.is_empty() {
            return Err(ValidationError::new(
                format!("filterGroups[{g}].filters"),
                "a group needs at least one filter",
            ));
        }
        if group.filters.len() > MAX_FILTERS_PER_GROUP {
            return Err(ValidationError::new(
                format!("filterGroups[{g}].filters"),
                format!(
                    "{} filters; HubSpot allows at most {MAX_FILTERS_PER_GROUP} per group",
                    group.filters.len()
                ),
            ));
        }
        for (f, filter) in group.filters.iter().enumerate() {
            validate_filter(filter, &format!("filterGroups[{g}].filters[{f}]"))?;
        }
        total += group.filters.len();
    }
    if total > MAX_FILTERS_TOTAL {
        return Err(ValidationError::new(
            "filterGroups",
            format!("{total} filters in all; HubSpot allows at most {MAX_FILTERS_TOTAL}"),
        ));
    }
    if request.sorts.len() > MAX_SORTS {
        return Err(ValidationError::new(
            "sorts",
            format!("{} sorts; HubSpot allows {MAX_SORTS}", request.sorts.len()),
        ));
    }
    if let Some(limit) = request.limit
        && !(1..=MAX_LIMIT as i32).contains(&limit)
    {
        return Err(ValidationError::new(
            "limit",
            format!("{limit} is outside 1..={MAX_LIMIT}"),
        ));
    }
    if let Some(query) = &request.query {
        let chars = query.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(ValidationError::new(
                "query",
                format!("{chars} characters; HubSpot allows at most {MAX_QUERY_CHARS}"),
            ));
        }
    }
    Ok(())
}

/// HubSpot's search limits, kept in one place.
pub mod search_limits {
    /// Filter groups per request.
    pub const MAX_FILTER_GROUPS: usize = 5;
    /// Filters in one group.
    pub const MAX_FILTERS_PER_GROUP: usize = 6;
    /// Filters across all groups.
    pub const MAX_FILTERS_TOTAL: usize = 18;
    /// Sorts per request.
    pub const MAX_SORTS: usize = 1;
    /// Results per page.
    pub const MAX_LIMIT: u32 = 200;
    /// Characters in `query`.
    pub const MAX_QUERY_CHARS: usize = 3000;
    /// Results one search can page through; past this HubSpot answers 400.
    pub const MAX_RESULTS: u64 = 10_000;
}
