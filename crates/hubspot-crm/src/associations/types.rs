//! HubSpot-defined association types: the same ids in every account, one table line each.

use crate::model::AssociationType;

/// Standard object types: (plural name, singular name, object type id).
const STANDARD_OBJECT_TYPES: &[(&str, &str, &str)] = &[
    ("leads", "lead", "0-136"),
    ("contacts", "contact", "0-1"),
    ("companies", "company", "0-2"),
    ("deals", "deal", "0-3"),
    ("tickets", "ticket", "0-5"),
    ("calls", "call", "0-48"),
    ("emails", "email", "0-49"),
    ("meetings", "meeting", "0-47"),
    ("notes", "note", "0-46"),
    ("tasks", "task", "0-27"),
    ("communications", "communication", "0-18"),
    ("feedback_submissions", "feedback_submission", "0-19"),
];

/// A standard object type given by plural name, singular name or type id, as its plural
/// name and its type id.
fn standard(name: &str) -> Option<(&'static str, &'static str)> {
    let name = name.trim();
    STANDARD_OBJECT_TYPES
        .iter()
        .find(|(plural, singular, id)| {
            name.eq_ignore_ascii_case(plural) || name.eq_ignore_ascii_case(singular) || name == *id
        })
        .map(|(plural, _, id)| (*plural, *id))
}

/// The plural name of a standard object type given by plural name, singular name or type id.
pub(crate) fn standard_object_type(name: &str) -> Option<&'static str> {
    standard(name).map(|(plural, _)| plural)
}

/// The type id of a standard object type given by plural name, singular name or type id.
pub(crate) fn standard_type_id(name: &str) -> Option<&'static str> {
    standard(name).map(|(_, id)| id)
}

/// The key a per-type cache keeps an object type under: a standard type by its plural name
/// however it was named (`deals`, `Deal`, `0-3`), any other as given, without case.
pub(crate) fn object_type_key(name: &str) -> String {
    standard_object_type(name)
        .map(str::to_owned)
        .unwrap_or_else(|| name.trim().to_ascii_lowercase())
}

/// Declares an enum of HubSpot-defined association types, one line per type: its id, this
/// crate's name for it, and the object type at the other end.
macro_rules! defined_association_types {
    (
        $(#[$meta:meta])*
        pub enum $enum:ident {
            other_end: $other_end:ident,
            $($(#[$variant_meta:meta])* $variant:ident = $id:literal, $name:literal, $object:literal;)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $enum {
            $($(#[$variant_meta])* $variant,)*
        }

        impl $enum {
            /// Every variant, in HubSpot's documented order.
            pub const ALL: &'static [$enum] = &[$($enum::$variant),*];

            /// HubSpot's association type id.
            pub const fn type_id(self) -> i32 {
                match self {
                    $($enum::$variant => $id,)*
                }
            }

            /// The object type at the other end of the association, e.g. `contacts`.
            pub const fn $other_end(self) -> &'static str {
                match self {
                    $($enum::$variant => $object,)*
                }
            }

            /// This crate's name for the type, e.g. `lead_to_primary_contact` or `contact_to_lead`.
            pub const fn name(self) -> &'static str {
                match self {
                    $($enum::$variant => $name,)*
                }
            }

            /// The type as sent to HubSpot (category `HUBSPOT_DEFINED`).
            pub const fn association_type(self) -> AssociationType {
                AssociationType::hubspot(self.type_id())
            }
        }

        impl From<$enum> for AssociationType {
            fn from(association: $enum) -> Self {
                association.association_type()
            }
        }
    };
}

defined_association_types! {
    /// HubSpot-defined association types from a lead to another record.
    ///
    /// The ids are the same in every account. Pass one where an [`AssociationType`] is
    /// expected (`.into()`), or build a create input with [`LeadAssociation::add_to`].
    pub enum LeadAssociation {
        other_end: to_object_type,
        /// Lead → its primary contact (578). Every lead needs one at creation.
        PrimaryContact = 578, "lead_to_primary_contact", "contacts";
        /// Lead → contact (608).
        Contact = 608, "lead_to_contact", "contacts";
        /// Lead → company (610).
        Company = 610, "lead_to_company", "companies";
        /// Lead → its primary company (580).
        PrimaryCompany = 580, "lead_to_primary_company", "companies";
        /// Lead → deal (1037).
        Deal = 1037, "lead_to_deal", "deals";
        /// Lead → its primary deal (582).
        PrimaryDeal = 582, "lead_to_primary_deal", "deals";
        /// Lead → call (596).
        Call = 596, "lead_to_call", "calls";
        /// Lead → email (598).
        Email = 598, "lead_to_email", "emails";
        /// Lead → meeting (600).
        Meeting = 600, "lead_to_meeting", "meetings";
        /// Lead → note (854).
        Note = 854, "lead_to_note", "notes";
        /// Lead → task (646).
        Task = 646, "lead_to_task", "tasks";
        /// Lead → communication (602).
        Communication = 602, "lead_to_communication", "communications";
        /// Lead → feedback submission (1162).
        FeedbackSubmission = 1162, "lead_to_feedback_submission", "feedback_submissions";
    }
}

impl LeadAssociation {
    /// Adds an association of this type with record `to_id` to a lead to create.
    pub fn add_to(
        self,
        record: crate::model::NewRecord,
        to_id: impl Into<String>,
    ) -> crate::model::NewRecord {
        record.associate(to_id, self.association_type())
    }
}

defined_association_types! {
    /// HubSpot-defined association types from another record to a lead.
    ///
    /// HubSpot documents no type for primary contact → lead, primary company → lead or
    /// email → lead, so there are none here.
    pub enum ToLeadAssociation {
        other_end: from_object_type,
        /// Contact → lead (609).
        Contact = 609, "contact_to_lead", "contacts";
        /// Company → lead (611).
        Company = 611, "company_to_lead", "companies";
        /// Deal → lead (1038).
        Deal = 1038, "deal_to_lead", "deals";
        /// Primary deal → lead (583).
        PrimaryDeal = 583, "primary_deal_to_lead", "deals";
        /// Call → lead (597).
        Call = 597, "call_to_lead", "calls";
        /// Meeting → lead (601).
        Meeting = 601, "meeting_to_lead", "meetings";
        /// Note → lead (855).
        Note = 855, "note_to_lead", "notes";
        /// Task → lead (647).
        Task = 647, "task_to_lead", "tasks";
        /// Communication → lead (603).
        Communication = 603, "communication_to_lead", "communications";
        /// Feedback submission → lead (1161).
        FeedbackSubmission = 1161, "feedback_submission_to_lead", "feedback_submissions";
    }
}

/// The HubSpot-defined association types between two object types that this crate knows
/// (those of leads), as (name, type) pairs; empty for any other pair.
///
/// Object types may be given by plural or singular name (`leads`, `lead`) or type id
/// (`0-136`). Email → lead, primary contact → lead and primary company → lead are not
/// documented by HubSpot and are not listed. For other pairs, and for custom labels, ask
/// HubSpot with [`Associations::labels`](crate::Associations::labels).
///
/// ```
/// use hubspot_crm::{AssociationType, hubspot_defined};
///
/// let types = hubspot_defined("leads", "contacts");
/// assert_eq!(types[0], ("lead_to_primary_contact", AssociationType::hubspot(578)));
/// assert!(hubspot_defined("emails", "leads").is_empty());
/// ```
pub fn hubspot_defined(
    from_object_type: &str,
    to_object_type: &str,
) -> Vec<(&'static str, AssociationType)> {
    match (
        standard_object_type(from_object_type),
        standard_object_type(to_object_type),
    ) {
        (Some("leads"), Some(to)) => LeadAssociation::ALL
            .iter()
            .filter(|a| a.to_object_type() == to)
            .map(|a| (a.name(), a.association_type()))
            .collect(),
        (Some(from), Some("leads")) => ToLeadAssociation::ALL
            .iter()
            .filter(|a| a.from_object_type() == from)
            .map(|a| (a.name(), a.association_type()))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_enum_and_table_agree() {
        for association in LeadAssociation::ALL {
            let table = hubspot_defined("leads", association.to_object_type());
            assert!(
                table.contains(&(association.name(), association.association_type())),
                "{association:?} missing from the table"
            );
        }
        let listed: usize = STANDARD_OBJECT_TYPES
            .iter()
            .map(|(to, _, _)| hubspot_defined("leads", to).len())
            .sum();
        assert_eq!(listed, LeadAssociation::ALL.len());
    }

    #[test]
    fn reverse_enum_and_table_agree() {
        for association in ToLeadAssociation::ALL {
            let table = hubspot_defined(association.from_object_type(), "leads");
            assert!(table.contains(&(association.name(), association.association_type())));
        }
        let listed: usize = STANDARD_OBJECT_TYPES
            .iter()
            .map(|(from, _, _)| hubspot_defined(from, "leads").len())
            .sum();
        assert_eq!(listed, ToLeadAssociation::ALL.len());
    }

    #[test]
    fn documented_ids() {
        let ids: Vec<i32> = LeadAssociation::ALL.iter().map(|a| a.type_id()).collect();
        assert_eq!(
            ids,
            [
                578, 608, 610, 580, 1037, 582, 596, 598, 600, 854, 646, 602, 1162
            ]
        );
        let ids: Vec<i32> = ToLeadAssociation::ALL.iter().map(|a| a.type_id()).collect();
        assert_eq!(ids, [609, 611, 1038, 583, 597, 601, 855, 647, 603, 1161]);
    }

    #[test]
    fn undocumented_reverse_types_are_absent() {
        assert!(hubspot_defined("emails", "leads").is_empty());
        assert!(hubspot_defined("leads", "tickets").is_empty());
        assert!(hubspot_defined("contacts", "companies").is_empty());
        // No HubSpot-defined type from a contact to a lead is a primary one.
        assert_eq!(hubspot_defined("contacts", "leads").len(), 1);
        assert_eq!(hubspot_defined("companies", "leads").len(), 1);
    }

    #[test]
    fn object_types_by_any_name() {
        assert_eq!(
            hubspot_defined("0-136", "contact"),
            hubspot_defined("leads", "contacts")
        );
        assert_eq!(
            hubspot_defined("LEAD", "0-2"),
            hubspot_defined("leads", "companies")
        );
    }
}
