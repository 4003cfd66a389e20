//! Shortcuts for associating a lead: by types, by a HubSpot-defined type, or by a label.

use super::Associations;
use super::model::AssociationLink;
use super::types::LeadAssociation;
use crate::error::Result;
use crate::model::AssociationType;
use crate::validate::check_pair;

impl Associations {
    /// Associates a lead with a record by the given types.
    pub async fn associate_lead(
        &self,
        lead_id: &str,
        to_object_type: &str,
        to_id: &str,
        types: &[AssociationType],
    ) -> Result<AssociationLink> {
        self.associate("leads", lead_id, to_object_type, to_id, types)
            .await
    }

    /// Associates a lead with a record by a HubSpot-defined type, e.g.
    /// [`LeadAssociation::PrimaryCompany`].
    pub async fn associate_lead_as(
        &self,
        lead_id: &str,
        association: LeadAssociation,
        to_id: &str,
    ) -> Result<AssociationLink> {
        self.associate_lead(
            lead_id,
            association.to_object_type(),
            to_id,
            &[association.association_type()],
        )
        .await
    }

    /// Associates a lead with a record by an association label, e.g. a company by
    /// `"Decision maker's company"`. The label's type is looked up once per client.
    pub async fn associate_lead_by_label(
        &self,
        lead_id: &str,
        to_object_type: &str,
        to_id: &str,
        label: &str,
    ) -> Result<AssociationLink> {
        check_pair("leads", lead_id, to_object_type, to_id)?;
        let association_type = self.type_for_label("leads", to_object_type, label).await?;
        self.associate_lead(lead_id, to_object_type, to_id, &[association_type])
            .await
    }
}
