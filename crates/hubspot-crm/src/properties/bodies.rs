//! Property write bodies in each version's shape. The methods take v3's generated types; the
//! 2026-09 ones are the same less v3's display hints and currency fields, and require each
//! option's `displayOrder`. [`check_dated_create`] and [`check_dated_update`] refuse, before
//! sending, what 2026-09 cannot carry; the conversions then lose nothing.

use hubspot_crm_api::properties::types as v3;
use hubspot_crm_api::properties_2026_09::types as dated;
use hubspot_crm_api::shared::OptionInput as DatedOption;

use crate::error::ValidationError;

/// A property to create, for either version's `create` (`body` takes anything convertible).
pub(crate) struct CreateBody(pub(crate) v3::PropertyCreate);

/// A property update, for either version's `update`.
pub(crate) struct UpdateBody(pub(crate) v3::PropertyUpdate);

/// A batch of properties to create, for either version's `batch_create`.
pub(crate) struct BatchCreateBody(pub(crate) Vec<v3::PropertyCreate>);

/// Maps an enum value onto the variant of the same name of another generated enum: the
/// versions' enums list the same values, and a variant one day missing fails to compile.
macro_rules! same_variant {
    ($value:expr, $from:path => $to:path { $($variant:ident),* $(,)? }) => {{
        use $from as From;
        use $to as To;
        match $value {
            $(From::$variant => To::$variant,)*
        }
    }};
}

fn field_type(f: v3::PropertyCreateFieldType) -> dated::PropertyCreateFieldType {
    same_variant!(f, v3::PropertyCreateFieldType => dated::PropertyCreateFieldType {
        Booleancheckbox, CalculationEquation, Checkbox, Date, File, Html, Number, Phonenumber,
        Radio, Select, Text, Textarea,
    })
}

fn update_field_type(f: v3::PropertyUpdateFieldType) -> dated::PropertyUpdateFieldType {
    same_variant!(f, v3::PropertyUpdateFieldType => dated::PropertyUpdateFieldType {
        Booleancheckbox, CalculationEquation, Checkbox, Date, File, Html, Number, Phonenumber,
        Radio, Select, Text, Textarea,
    })
}

fn property_type(t: v3::PropertyCreateType) -> dated::PropertyCreateType {
    same_variant!(t, v3::PropertyCreateType => dated::PropertyCreateType {
        Bool, Date, Datetime, Enumeration, Number, PhoneNumber, String,
    })
}

fn update_type(t: v3::PropertyUpdateType) -> dated::PropertyUpdateType {
    same_variant!(t, v3::PropertyUpdateType => dated::PropertyUpdateType {
        Bool, Date, Datetime, Enumeration, Number, PhoneNumber, String,
    })
}

fn sensitivity(s: v3::PropertyCreateDataSensitivity) -> dated::PropertyCreateDataSensitivity {
    same_variant!(s, v3::PropertyCreateDataSensitivity => dated::PropertyCreateDataSensitivity {
        HighlySensitive, NonSensitive, Sensitive,
    })
}

/// Options in 2026-09's shape, which requires `displayOrder`: one not given is the option's
/// place in the list, so the options show in the order given.
fn options(options: Vec<v3::OptionInput>) -> Vec<DatedOption> {
    options
        .into_iter()
        .zip(0..)
        .map(|(o, place)| DatedOption {
            description: o.description,
            display_order: o.display_order.unwrap_or(place),
            hidden: o.hidden,
            label: o.label,
            value: o.value,
        })
        .collect()
}

/// Refuses a v3-only field that is set: `field` is its wire name.
fn v3_only(field: &str, set: bool) -> Result<(), ValidationError> {
    if set {
        return Err(ValidationError::new(
            field,
            "is not part of the 2026-09 properties API; leave it unset, or use API version v3",
        ));
    }
    Ok(())
}

/// Checks that a property to create carries nothing 2026-09 lacks.
pub(crate) fn check_dated_create(p: &v3::PropertyCreate) -> Result<(), ValidationError> {
    v3_only("currencyPropertyName", p.currency_property_name.is_some())?;
    v3_only("numberDisplayHint", p.number_display_hint.is_some())?;
    v3_only("showCurrencySymbol", p.show_currency_symbol.is_some())?;
    v3_only("textDisplayHint", p.text_display_hint.is_some())
}

/// Checks that an update carries nothing 2026-09 lacks.
pub(crate) fn check_dated_update(p: &v3::PropertyUpdate) -> Result<(), ValidationError> {
    v3_only("currencyPropertyName", p.currency_property_name.is_some())?;
    v3_only("numberDisplayHint", p.number_display_hint.is_some())?;
    v3_only("showCurrencySymbol", p.show_currency_symbol.is_some())?;
    v3_only("textDisplayHint", p.text_display_hint.is_some())
}

fn dated_create(p: v3::PropertyCreate) -> dated::PropertyCreate {
    dated::PropertyCreate {
        calculation_formula: p.calculation_formula,
        data_sensitivity: p.data_sensitivity.map(sensitivity),
        description: p.description,
        display_order: p.display_order,
        external_options: p.external_options,
        field_type: field_type(p.field_type),
        form_field: p.form_field,
        group_name: p.group_name,
        has_unique_value: p.has_unique_value,
        hidden: p.hidden,
        label: p.label,
        name: p.name,
        options: options(p.options),
        referenced_object_type: p.referenced_object_type,
        type_: property_type(p.type_),
    }
}

impl From<CreateBody> for v3::PropertyCreate {
    fn from(body: CreateBody) -> Self {
        body.0
    }
}

impl From<CreateBody> for dated::PropertyCreate {
    /// Checked by [`check_dated_create`] first.
    fn from(body: CreateBody) -> Self {
        dated_create(body.0)
    }
}

impl From<UpdateBody> for v3::PropertyUpdate {
    fn from(body: UpdateBody) -> Self {
        body.0
    }
}

impl From<UpdateBody> for dated::PropertyUpdate {
    /// Checked by [`check_dated_update`] first.
    fn from(body: UpdateBody) -> Self {
        let p = body.0;
        dated::PropertyUpdate {
            calculation_formula: p.calculation_formula,
            description: p.description,
            display_order: p.display_order,
            field_type: p.field_type.map(update_field_type),
            form_field: p.form_field,
            group_name: p.group_name,
            hidden: p.hidden,
            label: p.label,
            options: options(p.options),
            type_: p.type_.map(update_type),
        }
    }
}

impl From<BatchCreateBody> for v3::BatchInputPropertyCreate {
    fn from(body: BatchCreateBody) -> Self {
        v3::BatchInputPropertyCreate { inputs: body.0 }
    }
}

impl From<BatchCreateBody> for dated::BatchInputPropertyCreate {
    /// Each input checked by [`check_dated_create`] first.
    fn from(body: BatchCreateBody) -> Self {
        dated::BatchInputPropertyCreate {
            inputs: body.0.into_iter().map(dated_create).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn select() -> v3::PropertyCreate {
        serde_json::from_value(json!({
            "name": "tier",
            "label": "Tier",
            "type": "enumeration",
            "fieldType": "select",
            "groupName": "dealinformation",
            "hasUniqueValue": false,
            "dataSensitivity": "non_sensitive",
            "options": [
                {"label": "Gold", "value": "gold", "hidden": false},
                {"label": "Silver", "value": "silver", "hidden": true, "displayOrder": 7}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn a_dated_create_is_the_v3_one_with_each_option_ordered() {
        let dated: dated::PropertyCreate = CreateBody(select()).into();
        assert_eq!(
            serde_json::to_value(dated).unwrap(),
            json!({
                "name": "tier",
                "label": "Tier",
                "type": "enumeration",
                "fieldType": "select",
                "groupName": "dealinformation",
                "hasUniqueValue": false,
                "dataSensitivity": "non_sensitive",
                "options": [
                    {"label": "Gold", "value": "gold", "hidden": false, "displayOrder": 0},
                    {"label": "Silver", "value": "silver", "hidden": true, "displayOrder": 7}
                ]
            })
        );
        let v3: v3::PropertyCreate = CreateBody(select()).into();
        assert_eq!(
            serde_json::to_value(v3).unwrap(),
            serde_json::to_value(select()).unwrap()
        );
    }

    #[test]
    fn fields_2026_09_lacks_are_refused_by_their_wire_name() {
        assert!(check_dated_create(&select()).is_ok());
        let mut hinted = select();
        hinted.text_display_hint = Some(v3::PropertyCreateTextDisplayHint::Email);
        assert_eq!(
            check_dated_create(&hinted).unwrap_err().field,
            "textDisplayHint"
        );
        let update = v3::PropertyUpdate {
            show_currency_symbol: Some(true),
            ..Default::default()
        };
        assert_eq!(
            check_dated_update(&update).unwrap_err().field,
            "showCurrencySymbol"
        );
    }
}
