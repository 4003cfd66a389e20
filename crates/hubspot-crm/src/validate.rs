//! Checks of input before anything is sent, one naming scheme for every field: the JSON name
//! HubSpot uses (`associations[0].to.id`, `idProperty`, `filterGroups[0].filters[2].values`),
//! with the item index added by bulk calls.
//!
//! Every value that goes into a URL path passes [`path_segment`] (directly, or through a
//! stricter check whose every accepted value it accepts too): the generated client
//! percent-encodes only some characters, and the URL parser turns `\` into `/` and resolves
//! `.` and `..`, so an unchecked value could send the caller's token and body to another
//! endpoint.

use std::collections::BTreeMap;

use hubspot_crm_api::shared::{self, PublicObjectSearchRequest};

use crate::error::ValidationError;
use crate::model::{NewRecord, ReadOptions};
use hubspot_crm_api::shared::FilterOperator as Operator;

/// Why `value` cannot be one path segment as it stands, if it cannot.
fn segment_problem(value: &str) -> Option<String> {
    if value.trim().is_empty() {
        return Some("must not be blank".to_owned());
    }
    if value == "." || value == ".." {
        return Some(format!(
            "`{value}` is a dot segment: the URL parser would resolve it and send the request (with the access token and body) to another endpoint"
        ));
    }
    for c in value.chars() {
        let why = match c {
            '/' => "`/` separates path segments",
            '\\' => "URL parsers read `\\` as `/`, which separates path segments",
            '?' => "`?` starts the query string",
            '#' => "`#` starts the fragment",
            c if c.is_control() => "control characters have no place in a URL",
            _ => continue,
        };
        return Some(format!(
            "`{}` contains {c:?}: {why}, so the value would not stay one path segment",
            value.escape_debug()
        ));
    }
    None
}

/// Decodes `%XX` escapes; anything else, malformed escapes included, is kept as it is.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks a value that goes into a URL path as one segment: not blank, not `.` or `..`, no
/// `/`, `\`, `?`, `#` or control character, and no percent-encoded form of a dot segment or a
/// separator (`%2e%2e`, `%2F`, `%5C`, also encoded twice), which a server decoding the path
/// would read as one. The one check every path value passes.
pub(crate) fn path_segment(field: &str, value: &str) -> Result<(), ValidationError> {
    if let Some(reason) = segment_problem(value) {
        return Err(ValidationError::new(field, reason));
    }
    let mut current = value.to_owned();
    // `%252e` is `%2e` once decoded: follow a few layers of encoding.
    for _ in 0..4 {
        let decoded = percent_decode(&current);
        if decoded == current {
            break;
        }
        let separator = decoded.contains(['/', '\\']);
        if decoded == "." || decoded == ".." || separator {
            let what = if separator {
                "a path separator"
            } else {
                "a dot segment"
            };
            return Err(ValidationError::new(
                field,
                format!(
                    "`{value}` percent-decodes to `{}`, {what}: a server that decodes the path would not read the value as one path segment",
                    decoded.escape_debug()
                ),
            ));
        }
        current = decoded;
    }
    Ok(())
}

/// Checks every object's create input: property names are names, association target ids
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
    property_map_names(&input.properties)
}

/// Checks the names of a `properties` map to write: none is blank, each is a property name.
pub(crate) fn property_map_names(
    properties: &BTreeMap<String, String>,
) -> Result<(), ValidationError> {
    for name in properties.keys() {
        if name.trim().is_empty() {
            return Err(ValidationError::new(
                "properties",
                "a property name is blank",
            ));
        }
        if let Some(reason) = name_problem(name) {
            return Err(ValidationError::new("properties", reason));
        }
    }
    Ok(())
}

/// Why `name` is not a property's internal name, if it is not. HubSpot's internal names are
/// lowercase letters, digits and `_`; uppercase letters are let through (HubSpot decides),
/// everything else is rejected: a `,` would split a comma-joined list into two names, and
/// spaces or other punctuation never occur in one.
fn name_problem(name: &str) -> Option<String> {
    let bad = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))?;
    let hint = match bad {
        ',' => " (a `,` would split it into two names in the comma-joined query lists)",
        c if c.is_whitespace() => " (a property's label is not its internal name)",
        _ => "",
    };
    Some(format!(
        "`{}` is not a property name: internal names use only letters, digits and `_`, and {bad:?} is none of them{hint}",
        name.escape_debug()
    ))
}

/// Checks a property's internal name: not blank, only letters, digits and `_`.
pub(crate) fn property_name(field: &str, name: &str) -> Result<(), ValidationError> {
    if name.trim().is_empty() {
        return Err(ValidationError::new(field, "must not be blank"));
    }
    match name_problem(name) {
        Some(reason) => Err(ValidationError::new(field, reason)),
        None => Ok(()),
    }
}

/// Checks a list of property names; the field of an error is `{field}[i]`.
fn property_names(field: &str, names: &[String]) -> Result<(), ValidationError> {
    for (i, name) in names.iter().enumerate() {
        property_name(&format!("{field}[{i}]"), name)?;
    }
    Ok(())
}

/// Checks the options of a read: property, history and association names; `idProperty` is a
/// property name, and is rejected where it addresses nothing (`allow_id_property` false, as
/// in a list).
pub(crate) fn read_options(
    options: &ReadOptions,
    allow_id_property: bool,
) -> Result<(), ValidationError> {
    property_names("properties", &options.properties)?;
    property_names("propertiesWithHistory", &options.properties_with_history)?;
    for (i, object_type) in options.associations.iter().enumerate() {
        check_object_type(&format!("associations[{i}]"), object_type)?;
    }
    match &options.id_property {
        Some(_) if !allow_id_property => Err(ValidationError::new(
            "idProperty",
            "addresses single records and batch reads; a list has nothing to address, and HubSpot would ignore it",
        )),
        Some(property) => property_name("idProperty", property),
        None => Ok(()),
    }
}

/// Checks a paging cursor: absent, or not blank.
pub(crate) fn after_cursor(after: Option<&str>) -> Result<(), ValidationError> {
    match after {
        Some(after) if after.trim().is_empty() => Err(ValidationError::new(
            "after",
            "must not be blank (leave it out for the first page)",
        )),
        _ => Ok(()),
    }
}

/// HubSpot record ids are positive integers (at most `u64::MAX`) without leading zeros,
/// sent as strings. Such a value is always one path segment.
pub fn validate_record_id(field: &str, id: &str) -> Result<(), ValidationError> {
    let digits = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    let reason = if !digits || id.bytes().all(|b| b == b'0') {
        "is not a HubSpot record id (a positive integer)"
    } else if id.starts_with('0') {
        "is not a HubSpot record id: record ids have no leading zeros"
    } else if id.parse::<u64>().is_err() {
        "is not a HubSpot record id: it is larger than any record id can be"
    } else {
        return Ok(());
    };
    Err(ValidationError::new(
        field,
        format!("`{}` {reason}", id.escape_debug()),
    ))
}

/// Validates the id of a single-record call whose id goes into the path: a record id, or,
/// when `id_property` is set, a value of that unique property that stays one path segment.
pub(crate) fn validate_path_address(
    id: &str,
    id_property: Option<&str>,
) -> Result<(), ValidationError> {
    validate_address(id, id_property)?;
    if id_property.is_some() {
        path_segment("id", id)?;
    }
    Ok(())
}

/// Validates the id of an input sent in a body: a record id, or any non-blank value of a
/// unique property when `id_property` (a property name) is set.
pub(crate) fn validate_address(id: &str, id_property: Option<&str>) -> Result<(), ValidationError> {
    match id_property {
        Some(property) => {
            property_name("idProperty", property)?;
            if property == "hs_object_id" {
                // HubSpot answers 400 "non-unique property" for it: the record id is the address.
                return Err(ValidationError::new(
                    "idProperty",
                    "hs_object_id is not a unique property and HubSpot refuses it as idProperty; address the record by its id instead",
                ));
            }
            if id.trim().is_empty() {
                return Err(ValidationError::new("id", "must not be blank"));
            }
            Ok(())
        }
        None => validate_record_id("id", id),
    }
}

/// Whether `name` has the shape of an object type id: `0-N` (HubSpot's types) or `2-N`
/// (custom objects), N a positive integer.
pub(crate) fn is_object_type_id(name: &str) -> bool {
    match name.split_once('-') {
        Some(("0" | "2", number)) => validate_record_id("", number).is_ok(),
        _ => false,
    }
}

/// Whether `name` has the shape of an object type name: a letter, then letters, digits and
/// `_` (`deals`, `line_items`, `p_machines`, `p12345_machines`). Case is left to HubSpot.
fn is_object_type_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 100
}

/// Object type names go into the path: they must be a name (`deals`, `p_custom`,
/// `p12345_custom`) or a type id (`0-3`, `2-1234567`).
pub(crate) fn check_object_type(field: &str, object_type: &str) -> Result<(), ValidationError> {
    path_segment(field, object_type)?;
    if !is_object_type_name(object_type) && !is_object_type_id(object_type) {
        return Err(ValidationError::new(
            field,
            format!(
                "`{}` is not an object type name or id: names are like `contacts`, `line_items` or `p12345_machines`, ids like `0-1` or `2-1234567`",
                object_type.escape_debug()
            ),
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

/// Checks the association types of an associations request (v4 or 2026-09): at least one, each with a positive id and
/// a category HubSpot could know (`HUBSPOT_DEFINED`, `USER_DEFINED`, ..., or a newer value
/// of the same shape: uppercase letters and `_`).
pub(crate) fn check_types(
    field: &str,
    types: &[hubspot_crm_api::shared::associations::AssociationSpec],
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
        let category = &t.association_category;
        if category.trim().is_empty() {
            return Err(ValidationError::new(
                format!("{field}[{i}].associationCategory"),
                "must not be blank",
            ));
        }
        if !category
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b == b'_')
        {
            return Err(ValidationError::new(
                format!("{field}[{i}].associationCategory"),
                format!(
                    "`{}` is not an association category (e.g. `HUBSPOT_DEFINED`, `USER_DEFINED`)",
                    category.escape_debug()
                ),
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

/// The property a filter may name: a property, or `associations.{objectType}` (records
/// associated with a given record id).
fn filter_property(field: &str, name: &str) -> Result<(), ValidationError> {
    match name.strip_prefix("associations.") {
        Some(object_type) if is_object_type_name(object_type) => Ok(()),
        _ => property_name(field, name),
    }
}

/// Checks that a filter names a property and carries exactly what its operator compares
/// with: `value` (and `highValue` for BETWEEN), `values` for IN and NOT_IN (at most
/// [`search_limits::MAX_FILTER_VALUES`]), nothing for HAS_PROPERTY and NOT_HAS_PROPERTY.
fn validate_filter(filter: &shared::Filter, field: &str) -> Result<(), ValidationError> {
    filter_property(&format!("{field}.propertyName"), &filter.property_name)?;
    let operator = filter.operator;
    let needs = |part: &str, what: &str| {
        ValidationError::new(
            format!("{field}.{part}"),
            format!("{operator} needs {what}"),
        )
    };
    let takes_no = |part: &str, instead: &str| {
        ValidationError::new(
            format!("{field}.{part}"),
            format!(
                "{operator} takes no {part}{instead}; HubSpot would ignore it or reject the search"
            ),
        )
    };
    let (value, high_value, values) = match operator {
        Operator::Eq
        | Operator::Neq
        | Operator::Lt
        | Operator::Lte
        | Operator::Gt
        | Operator::Gte
        | Operator::ContainsToken
        | Operator::NotContainsToken => (true, false, false),
        Operator::Between => (true, true, false),
        Operator::In | Operator::NotIn => (false, false, true),
        Operator::HasProperty | Operator::NotHasProperty => (false, false, false),
    };
    let instead = |wanted: bool, other: &str| {
        if wanted {
            format!(" (use `{other}`)")
        } else {
            String::new()
        }
    };
    if value && filter.value.is_none() {
        return Err(needs("value", "a value"));
    }
    if !value && filter.value.is_some() {
        return Err(takes_no("value", &instead(values, "values")));
    }
    if high_value && filter.high_value.is_none() {
        return Err(needs("highValue", "a highValue"));
    }
    if !high_value && filter.high_value.is_some() {
        return Err(takes_no("highValue", ""));
    }
    if values && filter.values.is_empty() {
        return Err(needs("values", "at least one of values"));
    }
    if !values && !filter.values.is_empty() {
        return Err(takes_no("values", &instead(value, "value")));
    }
    let max = search_limits::MAX_FILTER_VALUES;
    if filter.values.len() > max {
        return Err(ValidationError::new(
            format!("{field}.values"),
            format!(
                "{} values; HubSpot allows at most {max} for {operator}",
                filter.values.len()
            ),
        ));
    }
    Ok(())
}

/// Checks a search body against HubSpot's limits and rules.
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
    for (i, sort) in request.sorts.iter().enumerate() {
        property_name(&format!("sorts[{i}].propertyName"), &sort.property_name)?;
    }
    property_names("properties", &request.properties)?;
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
    after_cursor(request.after.as_deref())?;
    if let Some(after) = &request.after
        && !after.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ValidationError::new(
            "after",
            format!(
                "`{}` is not a search cursor: HubSpot's search pages by offset, a number taken from the previous page's `paging.next.after`",
                after.escape_debug()
            ),
        ));
    }
    Ok(())
}

/// Checks one page of a search: [`search_request`], and an `after` inside HubSpot's
/// [`search_limits::MAX_RESULTS`] window (past it HubSpot answers 400).
pub(crate) fn search_page(request: &PublicObjectSearchRequest) -> Result<(), ValidationError> {
    search_request(request)?;
    let max = search_limits::MAX_RESULTS;
    if let Some(offset) = request.after.as_deref().map(str::parse::<u64>) {
        // Digits only (checked above): a failed parse is a number too large for u64.
        if offset.map_or(true, |o| o >= max) {
            return Err(ValidationError::new(
                "after",
                format!(
                    "is at or past HubSpot's {max}-result window, which a search cannot page past; narrow the filters, or use `search_stream`, which pages by `hs_object_id` past it"
                ),
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
    /// Values of one IN or NOT_IN filter.
    pub const MAX_FILTER_VALUES: usize = 100;
    /// Sorts per request.
    pub const MAX_SORTS: usize = 1;
    /// Results per page.
    pub const MAX_LIMIT: u32 = 200;
    /// Characters in `query`.
    pub const MAX_QUERY_CHARS: usize = 3000;
    /// Results one search can page through; past this HubSpot answers 400.
    pub const MAX_RESULTS: u64 = 10_000;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{Filter, SearchRequest, Sort};

    /// The URL the generated client builds for a lead addressed by `id` (its path encoding,
    /// then the URL parser's).
    fn lead_url(id: &str) -> reqwest::Url {
        let url = format!(
            "https://api.hubapi.com/crm/v3/objects/leads/{}",
            progenitor_client::encode_path(id)
        );
        reqwest::Url::parse(&url).unwrap()
    }

    /// Values that would leave their path segment, with or without a server decoding it.
    const ESCAPING: &[&str] = &[
        ".",
        "..",
        "x\\..\\..\\deals\\123",
        "..\\deals",
        "a/b",
        "../deals/123",
        "%2e%2e",
        "%2E.",
        ".%2e",
        "%252e%252e",
        "x%2F..%2Fdeals",
        "x%5c..%5cdeals",
        "a?b=1",
        "a#b",
        "a\u{0}b",
        "a\nb",
        "a\tb",
        "a\u{7f}",
        "",
        "   ",
    ];

    #[test]
    fn the_url_parser_really_resolves_what_the_generated_client_leaves() {
        // Why the check exists: progenitor leaves `\` and dots alone.
        assert_eq!(
            lead_url("x\\..\\..\\deals\\123").path(),
            "/crm/v3/objects/deals/123"
        );
        assert_eq!(lead_url("..").path(), "/crm/v3/objects/");
    }

    #[test]
    fn path_values_that_would_leave_their_segment_are_rejected() {
        for value in ESCAPING {
            let e = path_segment("id", value).expect_err(value);
            assert_eq!(e.field, "id");
            assert!(!e.reason.is_empty());
        }
        let e = path_segment("id", "%2e%2e").unwrap_err();
        assert!(e.reason.contains("percent-decodes to `..`"), "{e}");
        let e = path_segment("id", "..").unwrap_err();
        assert!(e.reason.contains("dot segment"), "{e}");
        let e = path_segment("id", "a\\b").unwrap_err();
        assert!(e.reason.contains("`/`"), "{e}");
    }

    #[test]
    fn accepted_path_values_stay_one_segment_of_the_url() {
        for value in [
            "alice@example.com",
            "ext-42",
            "ACME 7",
            "a.b",
            "...",
            "..a",
            "%",
            "100%",
            "%zz",
            "é",
            "a;b",
            "a+b",
            "x%41",
        ] {
            path_segment("id", value).unwrap_or_else(|e| panic!("{value:?}: {e}"));
            let url = lead_url(value);
            let segments: Vec<&str> = url.path_segments().unwrap().collect();
            assert_eq!(segments.len(), 5, "{value:?} gave {url}");
            assert_eq!(&segments[..4], ["crm", "v3", "objects", "leads"]);
        }
        // Every record id, every object type, every property name is a safe segment.
        for ok in [
            "1",
            "18446744073709551615",
            "0-136",
            "2-1234567",
            "p123_x",
            "hs_lead_name",
        ] {
            assert!(path_segment("v", ok).is_ok());
        }
    }

    #[test]
    fn record_ids_without_leading_zeros_up_to_u64() {
        assert!(validate_record_id("id", "1").is_ok());
        assert!(validate_record_id("id", "18446744073709551615").is_ok());
        let e = validate_record_id("id", "0123").unwrap_err();
        assert!(e.reason.contains("leading zeros"), "{e}");
        let e = validate_record_id("id", "18446744073709551616").unwrap_err();
        assert!(e.reason.contains("larger"), "{e}");
        for bad in ["", "0", "00", "-1", "+1", "1.0", " 1", "1e3", "١"] {
            assert_eq!(validate_record_id("id", bad).unwrap_err().field, "id");
        }
    }

    #[test]
    fn object_types_are_names_or_type_ids() {
        for ok in [
            "leads",
            "deals",
            "line_items",
            "p_custom",
            "p12345_custom",
            "Contacts",
            "0-1",
            "0-136",
            "2-1234567",
        ] {
            check_object_type("objectType", ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "",
            " ",
            "..",
            "deals/1",
            "de als",
            "1-5",
            "0-",
            "-1",
            "0-01",
            "2-x",
            "3-7",
            "_x",
            "9lives",
            "deals,contacts",
            "p-custom",
            "deals%2F1",
            "deals\\..",
        ] {
            let e = check_object_type("objectType", bad).expect_err(bad);
            assert_eq!(e.field, "objectType");
        }
    }

    #[test]
    fn property_names_are_letters_digits_and_underscores() {
        for ok in [
            "hs_lead_name",
            "hs_object_id",
            "x1",
            "Custom_Field",
            "_private",
        ] {
            property_name("properties[0]", ok).unwrap();
        }
        let e = property_name("properties[1]", "hs_lead_name,hs_lead_label").unwrap_err();
        assert_eq!(e.field, "properties[1]");
        assert!(e.reason.contains("split"), "{e}");
        for bad in ["", " ", "Lead name", "hs-lead", "a.b", "a/b", "é"] {
            assert!(property_name("p", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn operators_take_exactly_what_they_compare_with() {
        let check = |filter: Filter| {
            search_request(SearchRequest::new().filter(filter).as_body()).map_err(|e| e.field)
        };
        let f = "filterGroups[0].filters[0]";
        assert_eq!(check(Filter::eq("a", "1")), Ok(()));
        let has_with_value = Filter::compare("a", Operator::HasProperty, "1");
        assert_eq!(check(has_with_value), Err(format!("{f}.value")));
        assert_eq!(check(Filter::has_property("a")), Ok(()));
        let mut between = Filter::between("a", "1", "2");
        assert_eq!(check(between.clone()), Ok(()));
        between = Filter::compare("a", Operator::Between, "1");
        assert_eq!(check(between), Err(format!("{f}.highValue")));
        let in_with_value = Filter::compare("a", Operator::In, "1");
        assert_eq!(check(in_with_value), Err(format!("{f}.value")));
        let over = Filter::is_in("a", (0..101).map(|i| i.to_string()));
        assert_eq!(check(over), Err(format!("{f}.values")));
        assert_eq!(
            check(Filter::is_in("a", (0..100).map(|i| i.to_string()))),
            Ok(())
        );
        let assoc = Filter::eq("associations.contact", "51");
        assert_eq!(check(assoc), Ok(()));
        assert_eq!(
            check(Filter::eq("associations.", "51")),
            Err(format!("{f}.propertyName"))
        );
    }

    #[test]
    fn sorts_properties_and_cursors_of_a_search_are_checked() {
        let blank_sort = SearchRequest::new().sort(Sort::ascending(" "));
        assert_eq!(
            search_request(blank_sort.as_body()).unwrap_err().field,
            "sorts[0].propertyName"
        );
        let props = SearchRequest::new().properties(["hs_lead_name", ""]);
        assert_eq!(
            search_request(props.as_body()).unwrap_err().field,
            "properties[1]"
        );
        for bad in ["", "abc", "-1", "1e3"] {
            let after = SearchRequest::new().after(bad);
            assert_eq!(search_request(after.as_body()).unwrap_err().field, "after");
        }
        let window = SearchRequest::new().after("10000");
        assert!(
            search_request(window.as_body()).is_ok(),
            "a stream may restart it"
        );
        assert_eq!(search_page(window.as_body()).unwrap_err().field, "after");
        let huge = SearchRequest::new().after("99999999999999999999999");
        assert_eq!(search_page(huge.as_body()).unwrap_err().field, "after");
        assert!(search_page(SearchRequest::new().after("9999").as_body()).is_ok());
    }
}
