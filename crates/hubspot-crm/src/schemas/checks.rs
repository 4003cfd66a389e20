//! Checks of schema requests before anything is sent, each error naming the field as HubSpot
//! spells it (`properties[2].name`, `requiredProperties[0]`, `labels.plural`).

use std::collections::HashSet;

use hubspot_crm_api::schemas::types::{ObjectSchemaEgg, ObjectTypeDefinitionPatch};
use hubspot_crm_api::shared::{
    AssociationDefinitionEgg, ObjectTypeDefinitionLabels, ObjectTypePropertyCreate,
    ObjectTypePropertyCreateType,
};

use crate::error::ValidationError;
use crate::validate::{check_object_type, property_name};
use crate::version::ApiVersion;

/// A schema's name as HubSpot's schemas guide has it: letters, digits and `_`, starting with
/// a letter (the name is fixed once the schema exists).
pub(super) fn schema_name(field: &str, name: &str) -> Result<(), ValidationError> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err(ValidationError::new(field, "must not be blank"));
    };
    if !first.is_ascii_alphabetic() {
        return Err(ValidationError::new(
            field,
            format!(
                "`{}` does not start with a letter, as a schema's name must",
                name.escape_debug()
            ),
        ));
    }
    match chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        Some(bad) => Err(ValidationError::new(
            field,
            format!(
                "`{}` is not a schema name: names use only letters, digits and `_`, and {bad:?} is none of them",
                name.escape_debug()
            ),
        )),
        None => Ok(()),
    }
}

/// A label given must say something.
fn label(field: &str, label: Option<&str>) -> Result<(), ValidationError> {
    match label {
        Some(text) if text.trim().is_empty() => {
            Err(ValidationError::new(field, "must not be blank"))
        }
        _ => Ok(()),
    }
}

/// The labels of a new schema: both, neither blank.
fn new_labels(labels: &ObjectTypeDefinitionLabels) -> Result<(), ValidationError> {
    for (field, value) in [
        ("labels.singular", &labels.singular),
        ("labels.plural", &labels.plural),
    ] {
        if value.is_none() {
            return Err(ValidationError::new(
                field,
                "is required: HubSpot shows it for the object type",
            ));
        }
        label(field, value.as_deref())?;
    }
    Ok(())
}

/// One property of a new schema: a valid name, a label, a field type, and an enumeration's
/// options (HubSpot requires them for enumerations).
fn new_property(field: &str, property: &ObjectTypePropertyCreate) -> Result<(), ValidationError> {
    property_name(&format!("{field}.name"), &property.name)?;
    label(&format!("{field}.label"), Some(&property.label))?;
    if property.field_type.trim().is_empty() {
        return Err(ValidationError::new(
            format!("{field}.fieldType"),
            "must not be blank",
        ));
    }
    let is_enumeration = property.type_ == ObjectTypePropertyCreateType::Enumeration;
    let options_elsewhere = property.referenced_object_type.is_some()
        || property.external_options_reference_type.is_some();
    if is_enumeration && property.options.is_empty() && !options_elsewhere {
        return Err(ValidationError::new(
            format!("{field}.options"),
            "an enumeration needs its options",
        ));
    }
    let mut values = HashSet::new();
    for (j, option) in property.options.iter().enumerate() {
        let at = format!("{field}.options[{j}]");
        label(&format!("{at}.label"), Some(&option.label))?;
        if option.value.trim().is_empty() {
            return Err(ValidationError::new(
                format!("{at}.value"),
                "must not be blank",
            ));
        }
        if !values.insert(option.value.as_str()) {
            return Err(ValidationError::new(
                format!("{at}.value"),
                format!("`{}` is the value of an earlier option", option.value),
            ));
        }
    }
    Ok(())
}

/// The properties of a new schema, each checked and none named twice; their names.
fn new_properties(
    properties: &[ObjectTypePropertyCreate],
) -> Result<HashSet<&str>, ValidationError> {
    let mut names = HashSet::new();
    for (i, property) in properties.iter().enumerate() {
        let field = format!("properties[{i}]");
        new_property(&field, property)?;
        if !names.insert(property.name.as_str()) {
            return Err(ValidationError::new(
                format!("{field}.name"),
                format!("`{}` is the name of an earlier property", property.name),
            ));
        }
    }
    Ok(names)
}

/// Property names a schema refers to (`requiredProperties`, ...): each among `defined`.
fn among<'a>(
    field: &str,
    names: impl IntoIterator<Item = (String, &'a String)>,
    defined: &HashSet<&str>,
) -> Result<(), ValidationError> {
    for (at, name) in names {
        if !defined.contains(name.as_str()) {
            return Err(ValidationError::new(
                at,
                format!(
                    "`{name}` is not among the schema's properties; {field} names properties it defines"
                ),
            ));
        }
    }
    Ok(())
}

/// `field[i]` for each name of a list.
fn indexed<'a>(field: &'a str, names: &'a [String]) -> impl Iterator<Item = (String, &'a String)> {
    names
        .iter()
        .enumerate()
        .map(move |(i, name)| (format!("{field}[{i}]"), name))
}

/// A new schema, checked for the API version it is sent to.
pub(super) fn new_schema(
    schema: &ObjectSchemaEgg,
    version: ApiVersion,
) -> Result<(), ValidationError> {
    schema_name("name", &schema.name)?;
    new_labels(&schema.labels)?;
    let defined = new_properties(&schema.properties)?;
    for (field, names) in [
        ("requiredProperties", &schema.required_properties),
        ("searchableProperties", &schema.searchable_properties),
        (
            "secondaryDisplayProperties",
            &schema.secondary_display_properties,
        ),
    ] {
        among(field, indexed(field, names), &defined)?;
    }
    if let Some(primary) = &schema.primary_display_property {
        let field = "primaryDisplayProperty";
        among(field, [(field.to_owned(), primary)], &defined)?;
    }
    for (i, object_type) in schema.associated_objects.iter().enumerate() {
        check_object_type(&format!("associatedObjects[{i}]"), object_type)?;
    }
    if version == ApiVersion::V2026_09 && schema.should_create_same_object_association == Some(true)
    {
        return Err(ValidationError::new(
            "shouldCreateSameObjectAssociation",
            "is not part of the 2026-09 schemas API, which would drop it; create the association with `create_association` instead",
        ));
    }
    Ok(())
}

/// Property names of an update: valid, none twice in one list.
fn names(field: &str, names: &[String]) -> Result<(), ValidationError> {
    let mut seen = HashSet::new();
    for (at, name) in indexed(field, names) {
        property_name(&at, name)?;
        if !seen.insert(name.as_str()) {
            return Err(ValidationError::new(
                at,
                format!("`{name}` is named earlier in the list"),
            ));
        }
    }
    Ok(())
}

/// Whether a patch changes nothing.
fn is_empty(patch: &ObjectTypeDefinitionPatch) -> bool {
    patch.allows_sensitive_properties.is_none()
        && patch.clear_description != Some(true)
        && patch.description.is_none()
        && patch.labels.is_none()
        && patch.primary_display_property.is_none()
        && patch.required_properties.is_empty()
        && patch.restorable.is_none()
        && patch.searchable_properties.is_empty()
        && patch.secondary_display_properties.is_empty()
}

/// An update of a schema: something to change, labels not blank, property names valid, and
/// not both a new description and its clearing.
pub(super) fn patch(patch: &ObjectTypeDefinitionPatch) -> Result<(), ValidationError> {
    if is_empty(patch) {
        return Err(ValidationError::new("patch", "nothing to update"));
    }
    if let Some(labels) = &patch.labels {
        if labels.singular.is_none() && labels.plural.is_none() {
            return Err(ValidationError::new(
                "labels",
                "names neither `singular` nor `plural`",
            ));
        }
        label("labels.singular", labels.singular.as_deref())?;
        label("labels.plural", labels.plural.as_deref())?;
    }
    names("requiredProperties", &patch.required_properties)?;
    names("searchableProperties", &patch.searchable_properties)?;
    names(
        "secondaryDisplayProperties",
        &patch.secondary_display_properties,
    )?;
    if let Some(primary) = &patch.primary_display_property {
        property_name("primaryDisplayProperty", primary)?;
    }
    if patch.description.is_some() && patch.clear_description == Some(true) {
        return Err(ValidationError::new(
            "clearDescription",
            "clears the description the same update sets; give one of them",
        ));
    }
    Ok(())
}

/// A new association definition: both object types, and a name that says something.
pub(super) fn association(association: &AssociationDefinitionEgg) -> Result<(), ValidationError> {
    check_object_type("fromObjectTypeId", &association.from_object_type_id)?;
    check_object_type("toObjectTypeId", &association.to_object_type_id)?;
    label("name", association.name.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_a_letter_then_letters_digits_and_underscores() {
        for ok in ["cars", "Cars", "car_2", "a"] {
            schema_name("name", ok).unwrap();
        }
        for bad in ["", "2cars", "_cars", "my cars", "cars-2", "café", "p/cars"] {
            let e = schema_name("name", bad).unwrap_err();
            assert_eq!(e.field, "name", "{bad:?}");
        }
    }
}
