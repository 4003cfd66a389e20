//! The 2026-09 answers as the crate's types. The dated specs share their request schemas (and
//! many answers) with v3/v4, one generated type each; where an answer differs, 2026-09 sends a
//! subset of the older fields: records carry no `warnings`, association types no object type
//! ids, property definitions no display hints. The conversions leave those unset and lose
//! nothing.

use std::collections::BTreeMap;

use hubspot_crm_api::associations::types as v4;
use hubspot_crm_api::associations_2026_09::types as associations;
use hubspot_crm_api::objects_2026_09::types as objects;
use hubspot_crm_api::properties::types as v3_properties;
use hubspot_crm_api::properties_2026_09::types as properties;
use hubspot_crm_api::shared::{AssociationSpecWithLabel, SimplePublicObject};

use crate::model::{PropertyDefinition, Record, record_fields};

impl From<objects::SimplePublicObject> for Record {
    fn from(o: objects::SimplePublicObject) -> Self {
        Record::from(record_fields!(o, warnings = Vec::new()))
    }
}

impl From<objects::SimplePublicObjectWithAssociations> for Record {
    fn from(o: objects::SimplePublicObjectWithAssociations) -> Self {
        let associations: BTreeMap<_, _> = o
            .associations
            .into_iter()
            .map(|(object_type, list)| (object_type, list.results))
            .collect();
        let mut record = Record::from(record_fields!(o, warnings = Vec::new()));
        record.associations = associations;
        record
    }
}

impl From<objects::SimplePublicUpsertObject> for Record {
    fn from(o: objects::SimplePublicUpsertObject) -> Self {
        let new = o.new;
        let mut record = Record::from(record_fields!(o, warnings = Vec::new()));
        record.new = Some(new);
        record
    }
}

impl From<properties::Property> for PropertyDefinition {
    /// The 2026-09 definition as the v3 one; the display hints and currency property v3 adds
    /// stay unset.
    fn from(p: properties::Property) -> Self {
        PropertyDefinition::from(v3_properties::Property {
            archived: p.archived,
            archived_at: p.archived_at,
            calculated: p.calculated,
            calculation_formula: p.calculation_formula,
            created_at: p.created_at,
            created_user_id: p.created_user_id,
            currency_property_name: None,
            data_sensitivity: p.data_sensitivity,
            date_display_hint: p.date_display_hint,
            description: p.description,
            display_order: p.display_order,
            external_options: p.external_options,
            field_type: p.field_type,
            form_field: p.form_field,
            group_name: p.group_name,
            has_unique_value: p.has_unique_value,
            hidden: p.hidden,
            hubspot_defined: p.hubspot_defined,
            label: p.label,
            modification_metadata: p.modification_metadata,
            name: p.name,
            number_display_hint: None,
            options: p.options,
            referenced_object_type: p.referenced_object_type,
            sensitive_data_categories: p.sensitive_data_categories,
            show_currency_symbol: p.show_currency_symbol,
            text_display_hint: None,
            type_: p.type_,
            updated_at: p.updated_at,
            updated_user_id: p.updated_user_id,
        })
    }
}

/// One record's associations from a 2026-09 batch read, as v4 shapes them.
pub(crate) fn record_associations(
    r: associations::PublicAssociationMultiWithLabel,
) -> v4::PublicAssociationMultiWithLabel {
    v4::PublicAssociationMultiWithLabel {
        from: r.from,
        paging: r.paging,
        to: r.to.into_iter().map(association_target).collect(),
    }
}

fn association_target(
    t: associations::MultiAssociatedObjectWithLabel,
) -> v4::MultiAssociatedObjectWithLabel {
    v4::MultiAssociatedObjectWithLabel {
        association_types: t.association_types.into_iter().map(label_spec).collect(),
        to_object_id: t.to_object_id,
    }
}

fn label_spec(s: AssociationSpecWithLabel) -> v4::AssociationSpecWithLabel {
    v4::AssociationSpecWithLabel {
        category: s.category,
        from_object_type_id: None,
        label: s.label,
        to_object_type_id: None,
        type_id: s.type_id,
    }
}
