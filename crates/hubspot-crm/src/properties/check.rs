//! Checks of property and property-group inputs, made before anything is sent: each error
//! names the field (and, in a batch, the item).

use std::collections::HashMap;

use hubspot_crm_api::properties::types::{OptionInput, PropertyCreate, PropertyUpdate};
use hubspot_crm_api::shared::{PropertyGroupCreate, PropertyGroupUpdate};

use crate::error::ValidationError;
use crate::validate::{path_segment, property_name};

/// HubSpot's longest internal name.
const MAX_NAME_LEN: usize = 100;

/// The field types HubSpot's properties guide lists for each property type
/// ("Property type and fieldType values").
const FIELD_TYPES: &[(&str, &[&str])] = &[
    ("bool", &["booleancheckbox", "calculation_equation"]),
    (
        "enumeration",
        &[
            "booleancheckbox",
            "checkbox",
            "radio",
            "select",
            "calculation_equation",
        ],
    ),
    ("date", &["date"]),
    ("datetime", &["date"]),
    (
        "string",
        &[
            "text",
            "textarea",
            "html",
            "phonenumber",
            "file",
            "calculation_equation",
        ],
    ),
    ("number", &["number", "calculation_equation"]),
    ("phone_number", &["phonenumber"]),
];

/// The field types HubSpot lists for property type `type_` (none for a type it does not list).
pub(crate) fn field_types_of(type_: &str) -> &'static [&'static str] {
    FIELD_TYPES
        .iter()
        .find(|(t, _)| *t == type_)
        .map_or(&[], |(_, field_types)| *field_types)
}

/// Checks that `field_type` is one HubSpot takes with `type_`.
fn field_type_fits(type_: &str, field_type: &str) -> Result<(), ValidationError> {
    let allowed = field_types_of(type_);
    if allowed.contains(&field_type) {
        return Ok(());
    }
    Err(ValidationError::new(
        "fieldType",
        format!(
            "`{field_type}` does not go with type `{type_}`, which takes {}",
            quoted(allowed)
        ),
    ))
}

fn quoted(items: &[&str]) -> String {
    let items: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    items.join(", ")
}

/// Checks the internal name of a property or group to create: HubSpot's internal names are
/// lowercase letters, digits and `_`, start with a letter and are at most 100 characters.
/// (Names of existing properties are checked more leniently: see `validate::property_name`.)
pub(crate) fn new_name(field: &str, name: &str) -> Result<(), ValidationError> {
    property_name(field, name)?;
    if name.len() > MAX_NAME_LEN {
        return Err(ValidationError::new(
            field,
            format!(
                "is {} characters long; HubSpot takes at most {MAX_NAME_LEN}",
                name.len()
            ),
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(ValidationError::new(
            field,
            format!("`{name}` must start with a letter"),
        ));
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(ValidationError::new(
            field,
            format!(
                "`{name}` has uppercase letters; HubSpot's internal names are lowercase (`{}`)",
                name.to_ascii_lowercase()
            ),
        ));
    }
    Ok(())
}

/// Checks the name of an existing group that goes into a path.
pub(crate) fn group_name(field: &str, name: &str) -> Result<(), ValidationError> {
    path_segment(field, name)?;
    property_name(field, name)
}

fn label(field: &str, label: &str) -> Result<(), ValidationError> {
    if label.trim().is_empty() {
        return Err(ValidationError::new(field, "must not be blank"));
    }
    Ok(())
}

/// Checks enumeration options: each with a value and a label, no value or label twice, and
/// (for a multi-select, whose values are `;`-separated) no `;` in a value.
fn options(options: &[OptionInput], field_type: Option<&str>) -> Result<(), ValidationError> {
    let mut values = HashMap::new();
    let mut labels = HashMap::new();
    for (i, option) in options.iter().enumerate() {
        let field = |name: &str| format!("options[{i}].{name}");
        if option.value.trim().is_empty() {
            return Err(ValidationError::new(field("value"), "must not be blank"));
        }
        label(&field("label"), &option.label)?;
        if field_type == Some("checkbox") && option.value.contains(';') {
            return Err(ValidationError::new(
                field("value"),
                format!(
                    "`{}` contains `;`, which separates the values of a multi-select",
                    option.value
                ),
            ));
        }
        if let Some(first) = values.insert(option.value.as_str(), i) {
            return Err(ValidationError::new(
                field("value"),
                format!("`{}` is also option {first}'s value", option.value),
            ));
        }
        if let Some(first) = labels.insert(option.label.trim(), i) {
            return Err(ValidationError::new(
                field("label"),
                format!(
                    "`{}` is also option {first}'s label; HubSpot requires each label once",
                    option.label
                ),
            ));
        }
    }
    Ok(())
}

/// Whether an enumeration may come without options: its options come from elsewhere
/// (`externalOptions`, a referenced object type) or it is calculated.
fn options_from_elsewhere(property: &PropertyCreate, field_type: &str) -> bool {
    property.external_options == Some(true)
        || property.referenced_object_type.is_some()
        || field_type == "calculation_equation"
}

/// Checks a property to create.
pub(crate) fn create(property: &PropertyCreate) -> Result<(), ValidationError> {
    new_name("name", &property.name)?;
    label("label", &property.label)?;
    if property.group_name.trim().is_empty() {
        return Err(ValidationError::new(
            "groupName",
            "must not be blank: every property belongs to a property group (e.g. `contactinformation`)",
        ));
    }
    property_name("groupName", &property.group_name)?;
    let (type_, field_type) = (property.type_.to_string(), property.field_type.to_string());
    field_type_fits(&type_, &field_type)?;
    if type_ == "enumeration"
        && property.options.is_empty()
        && !options_from_elsewhere(property, &field_type)
    {
        return Err(ValidationError::new(
            "options",
            "an enumeration needs at least one option",
        ));
    }
    options(&property.options, Some(&field_type))
}

/// Checks a partial update of a property. An update that sets nothing is refused: it would
/// change nothing.
pub(crate) fn update(update: &PropertyUpdate) -> Result<(), ValidationError> {
    if serde_json::to_value(update).is_ok_and(|v| v.as_object().is_some_and(|m| m.is_empty())) {
        return Err(ValidationError::new(
            "update",
            "sets no field; nothing would change",
        ));
    }
    if let Some(text) = &update.label {
        label("label", text)?;
    }
    if let Some(group) = &update.group_name {
        group_name("groupName", group)?;
    }
    let field_type = update.field_type.map(|f| f.to_string());
    if let (Some(type_), Some(field_type)) = (update.type_, &field_type) {
        field_type_fits(&type_.to_string(), field_type)?;
    }
    options(&update.options, field_type.as_deref())
}

/// Checks every property of a batch create: each as [`create`], and no name twice. Errors
/// name the item.
pub(crate) fn create_many(properties: &[PropertyCreate]) -> Result<(), ValidationError> {
    if properties.is_empty() {
        return Err(ValidationError::new(
            "inputs",
            "needs at least one property",
        ));
    }
    let mut names = HashMap::new();
    for (i, property) in properties.iter().enumerate() {
        create(property).map_err(|e| e.at_item(i))?;
        if let Some(first) = names.insert(property.name.as_str(), i) {
            return Err(ValidationError::new(
                "name",
                format!("`{}` is also item {first}'s name", property.name),
            )
            .at_item(i));
        }
    }
    Ok(())
}

/// Checks a property group to create.
pub(crate) fn create_group(group: &PropertyGroupCreate) -> Result<(), ValidationError> {
    new_name("name", &group.name)?;
    label("label", &group.label)
}

/// Checks a partial update of a property group.
pub(crate) fn update_group(update: &PropertyGroupUpdate) -> Result<(), ValidationError> {
    match (&update.label, update.display_order) {
        (None, None) => Err(ValidationError::new(
            "update",
            "sets no field; nothing would change",
        )),
        (Some(text), _) => label("label", text),
        (None, Some(_)) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubspot_crm_api::properties::types::{PropertyCreateFieldType, PropertyCreateType};

    fn property(type_: PropertyCreateType, field_type: PropertyCreateFieldType) -> PropertyCreate {
        PropertyCreate::builder()
            .name("external_id")
            .label("External ID")
            .group_name("dealinformation")
            .type_(type_)
            .field_type(field_type)
            .try_into()
            .unwrap()
    }

    fn option(value: &str, label: &str) -> OptionInput {
        OptionInput::builder()
            .value(value)
            .label(label)
            .hidden(false)
            .try_into()
            .unwrap()
    }

    fn refusal(result: Result<(), ValidationError>) -> (String, String) {
        let e = result.unwrap_err();
        (e.field, e.reason)
    }

    #[test]
    fn new_names_are_lowercase_letters_digits_and_underscores_starting_with_a_letter() {
        assert!(new_name("name", "external_id_2").is_ok());
        for (name, hint) in [
            ("External_Id", "`external_id`"),
            ("2nd_id", "start with a letter"),
            ("_id", "start with a letter"),
            ("external id", "label"),
            ("", "blank"),
        ] {
            let (field, reason) = refusal(new_name("name", name));
            assert_eq!(field, "name");
            assert!(reason.contains(hint), "{name:?}: {reason}");
        }
        let long = "a".repeat(101);
        assert!(refusal(new_name("name", &long)).1.contains("at most 100"));
        assert!(new_name("name", &"a".repeat(100)).is_ok());
    }

    #[test]
    fn each_type_takes_only_the_field_types_hubspot_lists() {
        use PropertyCreateFieldType as F;
        use PropertyCreateType as T;
        for (t, f) in [
            (T::String, F::Text),
            (T::String, F::Textarea),
            (T::Number, F::Number),
            (T::Bool, F::Booleancheckbox),
            (T::Date, F::Date),
            (T::Datetime, F::Date),
            (T::PhoneNumber, F::Phonenumber),
        ] {
            assert!(create(&property(t, f)).is_ok(), "{t} {f}");
        }
        let (field, reason) = refusal(create(&property(T::Number, F::Text)));
        assert_eq!(field, "fieldType");
        assert_eq!(
            reason,
            "`text` does not go with type `number`, which takes `number`, `calculation_equation`"
        );
        assert!(create(&property(T::Date, F::Number)).is_err());
    }

    #[test]
    fn an_enumeration_needs_options_with_values_and_labels_each_once() {
        let select = || {
            property(
                PropertyCreateType::Enumeration,
                PropertyCreateFieldType::Select,
            )
        };
        assert_eq!(refusal(create(&select())).0, "options");
        let mut external = select();
        external.external_options = Some(true);
        assert!(create(&external).is_ok());

        let with = |options: Vec<OptionInput>| PropertyCreate {
            options,
            ..select()
        };
        assert!(create(&with(vec![option("a", "A"), option("b", "B")])).is_ok());
        let (field, reason) = refusal(create(&with(vec![option("a", "A"), option("a", "B")])));
        assert_eq!(field, "options[1].value");
        assert!(reason.contains("option 0's value"), "{reason}");
        let (field, _) = refusal(create(&with(vec![option("a", "A"), option("b", " A")])));
        assert_eq!(field, "options[1].label");
        assert_eq!(
            refusal(create(&with(vec![option(" ", "A")]))).0,
            "options[0].value"
        );
        assert_eq!(
            refusal(create(&with(vec![option("a", "")]))).0,
            "options[0].label"
        );
        let checkbox = PropertyCreate {
            field_type: PropertyCreateFieldType::Checkbox,
            ..with(vec![option("a;b", "A or B")])
        };
        assert!(refusal(create(&checkbox)).1.contains("`;`"));
    }

    #[test]
    fn a_label_and_a_group_are_required() {
        let mut p = property(PropertyCreateType::String, PropertyCreateFieldType::Text);
        p.label = "  ".into();
        assert_eq!(refusal(create(&p)).0, "label");
        let mut p = property(PropertyCreateType::String, PropertyCreateFieldType::Text);
        p.group_name = String::new();
        assert_eq!(refusal(create(&p)).0, "groupName");
        p.group_name = "deal info".into();
        assert_eq!(refusal(create(&p)).0, "groupName");
    }

    #[test]
    fn a_batch_names_the_item_at_fault_and_a_repeated_name() {
        let good = property(PropertyCreateType::String, PropertyCreateFieldType::Text);
        let mut other = good.clone();
        other.name = "other_id".into();
        assert!(create_many(&[good.clone(), other.clone()]).is_ok());
        let e = create_many(&[good.clone(), other, good.clone()]).unwrap_err();
        assert_eq!((e.item, e.field.as_str()), (Some(2), "name"));
        assert!(e.reason.contains("item 0's name"), "{}", e.reason);
        let mut bad = good.clone();
        bad.label.clear();
        let e = create_many(&[good, bad]).unwrap_err();
        assert_eq!((e.item, e.field.as_str()), (Some(1), "label"));
        assert_eq!(create_many(&[]).unwrap_err().field, "inputs");
    }

    #[test]
    fn an_update_must_change_something_and_be_consistent() {
        assert_eq!(refusal(update(&PropertyUpdate::default())).0, "update");
        let relabel = PropertyUpdate {
            label: Some("External reference".into()),
            ..Default::default()
        };
        assert!(update(&relabel).is_ok());
        let blank = PropertyUpdate {
            label: Some(" ".into()),
            ..Default::default()
        };
        assert_eq!(refusal(update(&blank)).0, "label");
        use hubspot_crm_api::properties::types::{PropertyUpdateFieldType, PropertyUpdateType};
        let mismatched = PropertyUpdate {
            type_: Some(PropertyUpdateType::Bool),
            field_type: Some(PropertyUpdateFieldType::Text),
            ..Default::default()
        };
        assert_eq!(refusal(update(&mismatched)).0, "fieldType");
        assert_eq!(
            refusal(update_group(&PropertyGroupUpdate::default())).0,
            "update"
        );
    }
}
