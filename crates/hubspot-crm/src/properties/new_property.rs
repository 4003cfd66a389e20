//! [`NewProperty`]: the common kinds of property to create, with the type and field type
//! HubSpot pairs for each.

use hubspot_crm_api::properties::types::{
    OptionInput, PropertyCreate, PropertyCreateFieldType as FieldType, PropertyCreateType as Type,
};

/// A property to create, for the common cases: pick the kind, adjust, then name its group
/// with [`Self::in_group`] to get the generated [`PropertyCreate`] that
/// [`Properties::create`](crate::Properties::create) and
/// [`Properties::ensure`](crate::Properties::ensure) take. Its fields can still be changed
/// there for what this builder does not cover.
///
/// ```
/// use hubspot_crm::NewProperty;
///
/// let external_id = NewProperty::string("external_id", "External ID")
///     .unique()
///     .in_group("contactinformation");
/// assert_eq!(external_id.has_unique_value, Some(true));
/// assert_eq!(external_id.field_type.to_string(), "text");
///
/// let tier = NewProperty::select("tier", "Tier", [("gold", "Gold"), ("silver", "Silver")])
///     .description("Support tier")
///     .in_group("companyinformation");
/// assert_eq!(tier.options[1].value, "silver");
/// ```
#[derive(Clone, Debug)]
pub struct NewProperty {
    name: String,
    label: String,
    type_: Type,
    field_type: FieldType,
    options: Vec<OptionInput>,
    unique: bool,
    description: Option<String>,
    hidden: bool,
}

impl NewProperty {
    fn new(
        name: impl Into<String>,
        label: impl Into<String>,
        type_: Type,
        field_type: FieldType,
    ) -> Self {
        NewProperty {
            name: name.into(),
            label: label.into(),
            type_,
            field_type,
            options: Vec::new(),
            unique: false,
            description: None,
            hidden: false,
        }
    }

    /// A single-line text (`string` / `text`).
    pub fn string(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, Type::String, FieldType::Text)
    }

    /// A multi-line text (`string` / `textarea`).
    pub fn textarea(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, Type::String, FieldType::Textarea)
    }

    /// A number (`number` / `number`).
    pub fn number(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, Type::Number, FieldType::Number)
    }

    /// A yes/no checkbox (`bool` / `booleancheckbox`), with the options `true` (Yes) and
    /// `false` (No) HubSpot lists for one.
    pub fn bool(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, Type::Bool, FieldType::Booleancheckbox)
            .with_options([("true", "Yes"), ("false", "No")])
    }

    /// A date without time (`date` / `date`).
    pub fn date(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, Type::Date, FieldType::Date)
    }

    /// A date and time (`datetime` / `date`).
    pub fn datetime(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, Type::Datetime, FieldType::Date)
    }

    /// A dropdown of one value (`enumeration` / `select`); `options` are `(value, label)`
    /// pairs, shown in the order given.
    pub fn select<V: Into<String>, L: Into<String>>(
        name: impl Into<String>,
        label: impl Into<String>,
        options: impl IntoIterator<Item = (V, L)>,
    ) -> Self {
        Self::new(name, label, Type::Enumeration, FieldType::Select).with_options(options)
    }

    /// Radio buttons of one value (`enumeration` / `radio`); `options` as for
    /// [`Self::select`].
    pub fn radio<V: Into<String>, L: Into<String>>(
        name: impl Into<String>,
        label: impl Into<String>,
        options: impl IntoIterator<Item = (V, L)>,
    ) -> Self {
        Self::new(name, label, Type::Enumeration, FieldType::Radio).with_options(options)
    }

    /// Checkboxes of several values, written `;`-separated (`enumeration` / `checkbox`);
    /// `options` as for [`Self::select`].
    pub fn checkbox<V: Into<String>, L: Into<String>>(
        name: impl Into<String>,
        label: impl Into<String>,
        options: impl IntoIterator<Item = (V, L)>,
    ) -> Self {
        Self::new(name, label, Type::Enumeration, FieldType::Checkbox).with_options(options)
    }

    fn with_options<V: Into<String>, L: Into<String>>(
        mut self,
        options: impl IntoIterator<Item = (V, L)>,
    ) -> Self {
        self.options = options
            .into_iter()
            .zip(0..)
            .map(|((value, label), place)| OptionInput {
                description: None,
                display_order: Some(place),
                hidden: false,
                label: label.into(),
                value: value.into(),
            })
            .collect();
        self
    }

    /// Values are unique across the type's records (`hasUniqueValue`): HubSpot refuses a
    /// second record with the same value, and the property can address records as
    /// `idProperty`, as [`unique_by`](crate::Objects::unique_by) needs.
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    /// The help text shown with the property.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Hidden from HubSpot's record pages and forms.
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    /// The property to create, in property group `group` (every property belongs to one:
    /// e.g. `contactinformation`, or one made with
    /// [`Properties::create_group`](crate::Properties::create_group)).
    pub fn in_group(self, group: impl Into<String>) -> PropertyCreate {
        PropertyCreate {
            calculation_formula: None,
            currency_property_name: None,
            data_sensitivity: None,
            description: self.description,
            display_order: None,
            external_options: None,
            field_type: self.field_type,
            form_field: None,
            group_name: group.into(),
            has_unique_value: self.unique.then_some(true),
            hidden: self.hidden.then_some(true),
            label: self.label,
            name: self.name,
            number_display_hint: None,
            options: self.options,
            referenced_object_type: None,
            show_currency_symbol: None,
            text_display_hint: None,
            type_: self.type_,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_kind_sends_the_type_and_field_type_hubspot_pairs() {
        let kinds = [
            (NewProperty::string("a", "A"), "string", "text"),
            (NewProperty::textarea("a", "A"), "string", "textarea"),
            (NewProperty::number("a", "A"), "number", "number"),
            (NewProperty::bool("a", "A"), "bool", "booleancheckbox"),
            (NewProperty::date("a", "A"), "date", "date"),
            (NewProperty::datetime("a", "A"), "datetime", "date"),
            (
                NewProperty::select("a", "A", [("x", "X")]),
                "enumeration",
                "select",
            ),
            (
                NewProperty::radio("a", "A", [("x", "X")]),
                "enumeration",
                "radio",
            ),
            (
                NewProperty::checkbox("a", "A", [("x", "X")]),
                "enumeration",
                "checkbox",
            ),
        ];
        for (kind, type_, field_type) in kinds {
            let property = kind.in_group("g");
            assert_eq!(property.type_.to_string(), type_);
            assert_eq!(property.field_type.to_string(), field_type);
            assert!(
                super::super::check::create(&property).is_ok(),
                "{type_}/{field_type}"
            );
        }
    }

    #[test]
    fn a_unique_string_is_sent_as_hubspot_documents_it() {
        let property = NewProperty::string("external_id", "External ID")
            .unique()
            .description("The id in the billing system")
            .in_group("dealinformation");
        assert_eq!(
            serde_json::to_value(&property).unwrap(),
            json!({
                "name": "external_id",
                "label": "External ID",
                "type": "string",
                "fieldType": "text",
                "groupName": "dealinformation",
                "hasUniqueValue": true,
                "description": "The id in the billing system"
            })
        );
    }

    #[test]
    fn options_keep_their_order_and_a_bool_has_yes_and_no() {
        let tier = NewProperty::select("tier", "Tier", [("gold", "Gold"), ("silver", "Silver")])
            .hidden()
            .in_group("g");
        assert_eq!(
            serde_json::to_value(&tier).unwrap()["options"],
            json!([
                {"value": "gold", "label": "Gold", "hidden": false, "displayOrder": 0},
                {"value": "silver", "label": "Silver", "hidden": false, "displayOrder": 1}
            ])
        );
        assert_eq!(tier.hidden, Some(true));
        let flag = NewProperty::bool("vip", "VIP").in_group("g");
        let values: Vec<&str> = flag.options.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(values, ["true", "false"]);
    }
}
