//! Association labels: the types between two object types, read once per pair and client,
//! and looked up by name.

use std::sync::Arc;

use super::Associations;
use super::types::object_type_key;
use crate::error::{Error, Result, ValidationError};
use crate::model::{AssociationLabel, AssociationType};
use crate::route::{family, on_version};
use crate::validate::check_object_type;

impl Associations {
    /// The association types (HubSpot-defined and custom labels) from one object type to
    /// another (`GET /crm/v4/associations/{from}/{to}/labels`).
    ///
    /// Asked once per pair and client: clones of the client share the answer, which is asked
    /// again once it is 10 minutes old; a failed lookup is not kept. Call
    /// [`Self::refresh_labels`] after labels change in HubSpot.
    pub async fn labels(
        &self,
        from_object_type: &str,
        to_object_type: &str,
    ) -> Result<Vec<AssociationLabel>> {
        check_object_type("fromObjectType", from_object_type)?;
        check_object_type("toObjectType", to_object_type)?;
        let labels = self
            .client
            .caches()
            .labels
            .get_or_try_fetch(label_key(from_object_type, to_object_type), || {
                self.fetch_labels(from_object_type, to_object_type)
            })
            .await?;
        Ok(labels.to_vec())
    }

    /// Asks HubSpot for the labels of a pair again and caches the answer.
    pub async fn refresh_labels(
        &self,
        from_object_type: &str,
        to_object_type: &str,
    ) -> Result<Vec<AssociationLabel>> {
        check_object_type("fromObjectType", from_object_type)?;
        check_object_type("toObjectType", to_object_type)?;
        self.client
            .caches()
            .labels
            .forget(&label_key(from_object_type, to_object_type));
        self.labels(from_object_type, to_object_type).await
    }

    async fn fetch_labels(&self, from: &str, to: &str) -> Result<Arc<[AssociationLabel]>> {
        let (call, api) = self.client.start::<family::AssociationLabels>().await?;
        // Both versions answer with the same (shared) type.
        let result = on_version!(api, |api| {
            api.list()
                .from_object_type(from)
                .to_object_type(to)
                .send()
                .await
        });
        let labels = call.finish(result, Vec::new)?;
        Ok(labels
            .results
            .into_iter()
            .map(AssociationLabel::from)
            .collect())
    }

    /// The association type with `label` from one object type to another, compared without
    /// regard to case (an exact match wins). Uses the cached labels of the pair.
    ///
    /// An unknown label is a [`Error::Validation`] on field `label` listing the labels that
    /// exist.
    pub async fn type_for_label(
        &self,
        from_object_type: &str,
        to_object_type: &str,
        label: &str,
    ) -> Result<AssociationType> {
        if label.trim().is_empty() {
            return Err(Error::validation("label", "must not be blank"));
        }
        let labels = self.labels(from_object_type, to_object_type).await?;
        find_label(&labels, from_object_type, to_object_type, label).map_err(Error::from)
    }
}

/// The cache key of a pair of object types: standard types by plural name, whichever way
/// the caller named them.
fn label_key(from: &str, to: &str) -> (String, String) {
    (object_type_key(from), object_type_key(to))
}

fn find_label(
    labels: &[AssociationLabel],
    from: &str,
    to: &str,
    wanted: &str,
) -> std::result::Result<AssociationType, ValidationError> {
    let wanted = wanted.trim();
    let named = || labels.iter().filter_map(|l| Some((l, l.label.as_deref()?)));
    if let Some((found, _)) = named().find(|(_, name)| *name == wanted) {
        return Ok(found.association_type());
    }
    let folded: Vec<&AssociationLabel> = named()
        .filter(|(_, name)| name.to_lowercase() == wanted.to_lowercase())
        .map(|(l, _)| l)
        .collect();
    match folded.as_slice() {
        [one] => Ok(one.association_type()),
        [] => {
            let known: Vec<String> = named().map(|(_, name)| format!("`{name}`")).collect();
            let known = if known.is_empty() {
                "there are none".to_owned()
            } else {
                format!("labels are {}", known.join(", "))
            };
            Err(ValidationError::new(
                "label",
                format!("`{wanted}` is not an association label from {from} to {to}; {known}"),
            ))
        }
        several => {
            let ids: Vec<String> = several.iter().map(|l| l.type_id.to_string()).collect();
            Err(ValidationError::new(
                "label",
                format!(
                    "`{wanted}` matches several labels from {from} to {to} that differ only in case (type ids {}); give it exactly",
                    ids.join(", ")
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AssociationCategory;

    #[test]
    fn pair_keys_name_standard_types_by_plural() {
        assert_eq!(label_key("Lead", "0-1"), label_key("leads", "contacts"));
    }

    fn label(category: AssociationCategory, type_id: i32, label: Option<&str>) -> AssociationLabel {
        AssociationLabel::new(category, type_id, label.map(str::to_owned))
    }

    #[test]
    fn label_lookup_prefers_exact_then_folds_case() {
        let labels = [
            label(AssociationCategory::HubSpotDefined, 610, None),
            label(AssociationCategory::HubSpotDefined, 580, Some("Primary")),
            label(AssociationCategory::UserDefined, 31, Some("Billing")),
            label(AssociationCategory::UserDefined, 32, Some("billing")),
            label(AssociationCategory::UserDefined, 33, Some("Partner")),
        ];
        let find = |l| find_label(&labels, "leads", "companies", l);
        assert_eq!(find("primary").unwrap(), AssociationType::hubspot(580));
        assert_eq!(find("billing").unwrap().type_id, 32);
        assert_eq!(find("Billing").unwrap().type_id, 31);
        assert_eq!(
            find(" PARTNER ").unwrap(),
            AssociationType {
                category: AssociationCategory::UserDefined,
                type_id: 33
            }
        );
        let ambiguous = find("BILLING").unwrap_err();
        assert!(ambiguous.reason.contains("31, 32"), "{ambiguous}");
        let unknown = find("Reseller").unwrap_err();
        assert_eq!(unknown.field, "label");
        assert!(
            unknown
                .reason
                .contains("`Primary`, `Billing`, `billing`, `Partner`"),
            "{unknown}"
        );
    }
}
