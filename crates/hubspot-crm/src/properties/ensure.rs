//! `ensure`: a property made to exist as asked, whoever creates it first.

use hubspot_crm_api::properties::types::{PropertyCreate, PropertyCreateType};

use super::Properties;
use crate::error::{Error, PropertyDifference, Result};
use crate::model::PropertyDefinition;

/// What [`Properties::ensure`] found or did.
#[derive(Clone, Debug)]
pub enum Ensured {
    /// The property was not there; this call created it.
    Created(PropertyDefinition),
    /// The property was there already, as asked (created by someone else, possibly at the
    /// same time, or by an earlier call whose answer was lost).
    AlreadyExisted(PropertyDefinition),
}

impl Ensured {
    /// Whether this call created the property.
    pub fn was_created(&self) -> bool {
        matches!(self, Ensured::Created(_))
    }

    /// The property's definition.
    pub fn definition(&self) -> &PropertyDefinition {
        match self {
            Ensured::Created(d) | Ensured::AlreadyExisted(d) => d,
        }
    }

    /// The property's definition, owned.
    pub fn into_definition(self) -> PropertyDefinition {
        match self {
            Ensured::Created(d) | Ensured::AlreadyExisted(d) => d,
        }
    }
}

impl Properties {
    /// Makes sure a property exists as asked: reads it, creates it if absent, and otherwise
    /// checks that it matches in what matters to writing values: `type`, `fieldType`,
    /// `hasUniqueValue` (when asked) and, for an enumeration, that every option asked for
    /// exists (by value; others may exist too). Labels, descriptions and groups are not
    /// compared. A difference fails with [`Error::PropertyMismatch`] listing each one, and
    /// changes nothing.
    ///
    /// A create answered 409 (created by someone else meanwhile), or whose answer was lost,
    /// is read back and checked the same way; when the read back finds nothing (a property
    /// of that name in the recycling bin keeps the name taken), the create's error is
    /// returned. Afterwards [`Self::definitions`] reads the
    /// type's definitions again, so a [`unique_by`](crate::Objects::unique_by) on an ensured
    /// unique property needs no other setup. Input is checked as by [`Self::create`].
    ///
    /// ```no_run
    /// # async fn run() -> hubspot_crm::Result<()> {
    /// use hubspot_crm::NewProperty;
    ///
    /// let client = hubspot_crm::Client::from_env()?;
    /// let external_id = NewProperty::string("external_id", "External ID")
    ///     .unique()
    ///     .in_group("dealinformation");
    /// client.properties().ensure("deals", external_id).await?;
    /// let deals = client.objects_of("deals")?;
    /// let creates = deals.unique_by("external_id");
    /// # let _ = creates;
    /// # Ok(()) }
    /// ```
    pub async fn ensure(&self, object_type: &str, property: PropertyCreate) -> Result<Ensured> {
        self.check_create(object_type, &property)?;
        if let Some(found) = self.find(object_type, &property.name).await? {
            return matching(object_type, &property, found).map(Ensured::AlreadyExisted);
        }
        let created = self.send_create(object_type, property.clone()).await;
        self.forget(object_type);
        match created {
            Ok(definition) => Ok(Ensured::Created(definition)),
            Err(error) if made_elsewhere_or_lost(&error) => {
                match self.find(object_type, &property.name).await? {
                    Some(found) => {
                        matching(object_type, &property, found).map(Ensured::AlreadyExisted)
                    }
                    None => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// The property, or `None` when HubSpot answers 404.
    async fn find(&self, object_type: &str, name: &str) -> Result<Option<PropertyDefinition>> {
        match self.get(object_type, name).await {
            Ok(definition) => Ok(Some(definition)),
            Err(Error::Api(e)) if e.status == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A 409 (the name is taken) or an unknown outcome (the create may have been made).
fn made_elsewhere_or_lost(error: &Error) -> bool {
    match error {
        Error::Api(e) => e.is_conflict(),
        Error::OutcomeUnknown { .. } => true,
        _ => false,
    }
}

/// `found` if it matches `asked`, else the mismatch.
fn matching(
    object_type: &str,
    asked: &PropertyCreate,
    found: PropertyDefinition,
) -> Result<PropertyDefinition> {
    let differences = differences(asked, &found);
    if differences.is_empty() {
        return Ok(found);
    }
    Err(Error::PropertyMismatch {
        object_type: object_type.to_owned(),
        property: asked.name.clone(),
        differences,
    })
}

/// How `found` differs from `asked` in what matters to writing values.
fn differences(asked: &PropertyCreate, found: &PropertyDefinition) -> Vec<PropertyDifference> {
    let mut differences = Vec::new();
    let type_ = asked.type_.to_string();
    if type_ != found.type_ {
        differences.push(PropertyDifference::Type {
            asked: type_,
            found: found.type_.clone(),
        });
    }
    let field_type = asked.field_type.to_string();
    if field_type != found.field_type {
        differences.push(PropertyDifference::FieldType {
            asked: field_type,
            found: found.field_type.clone(),
        });
    }
    if let Some(unique) = asked.has_unique_value
        && unique != found.has_unique_value
    {
        differences.push(PropertyDifference::HasUniqueValue {
            asked: unique,
            found: found.has_unique_value,
        });
    }
    // Only an enumeration's options are values to write: a `bool`'s are HubSpot's Yes/No.
    let missing: Vec<String> = asked
        .options
        .iter()
        .filter(|o| !found.options.iter().any(|f| f.value == o.value))
        .map(|o| o.value.clone())
        .collect();
    if asked.type_ == PropertyCreateType::Enumeration && !missing.is_empty() {
        differences.push(PropertyDifference::MissingOptions { values: missing });
    }
    differences
}

#[cfg(test)]
mod tests {
    use hubspot_crm_api::properties::types::Property;
    use serde_json::json;

    use super::*;
    use crate::properties::NewProperty;

    fn found(type_: &str, field_type: &str, options: serde_json::Value) -> PropertyDefinition {
        let property: Property = serde_json::from_value(json!({
            "name": "vip",
            "label": "VIP",
            "type": type_,
            "fieldType": field_type,
            "groupName": "dealinformation",
            "options": options
        }))
        .unwrap();
        PropertyDefinition::from(property)
    }

    #[test]
    fn a_bool_listed_without_options_matches_the_yes_no_asked_for() {
        let asked = NewProperty::bool("vip", "VIP").in_group("dealinformation");
        assert_eq!(
            differences(&asked, &found("bool", "booleancheckbox", json!([]))),
            []
        );
    }

    #[test]
    fn unique_values_are_compared_only_when_asked() {
        let any = NewProperty::string("vip", "VIP").in_group("dealinformation");
        let unique = NewProperty::string("vip", "VIP")
            .unique()
            .in_group("dealinformation");
        let plain = found("string", "text", json!([]));
        assert_eq!(differences(&any, &plain), []);
        assert_eq!(
            differences(&unique, &plain),
            [PropertyDifference::HasUniqueValue {
                asked: true,
                found: false
            }]
        );
    }
}
