//! Associations between records: HubSpot's fixed association type ids for leads (`types`),
//! the inputs and answers of the associations API (`model`), the API itself (`api` for one
//! pair of records, `batch` for many), association labels looked up by name (`labels`), and
//! shortcuts from a lead (`leads`). v4 on the legacy line, or 2026-09.

mod api;
mod batch;
mod labels;
mod leads;
mod model;
mod types;

pub use api::Associations;
pub use model::{
    AssociationBatch, AssociationInput, AssociationLink, AssociationRemoval, AssociationTarget,
    DefaultAssociation, RecordAssociations,
};
pub use types::{LeadAssociation, ToLeadAssociation, hubspot_defined};
pub(crate) use types::{object_type_key, standard_object_type, standard_type_id};

/// Limits of HubSpot's associations API (v4 and 2026-09 alike).
pub mod limits {
    /// Results per page of a record's associations.
    pub const MAX_LIST_LIMIT: u32 = 500;
    /// Inputs of one batch read.
    pub const MAX_BATCH_READ: usize = 1_000;
    /// Inputs of one batch create.
    pub const MAX_BATCH_CREATE: usize = 2_000;
    /// Inputs of one batch removal (HubSpot documents none; its batch create's cap is used).
    pub const MAX_BATCH_ARCHIVE: usize = 2_000;
}
