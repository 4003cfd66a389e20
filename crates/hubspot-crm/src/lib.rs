//! An ergonomic, validated client for HubSpot's CRM Leads API.
//!
//! - every lead operation HubSpot documents, with lead-specific validation before sending;
//! - batches of any size, each input accounted for; streaming list and search past 10,000;
//! - association types by name, and label lookups;
//! - rate limiting, retries that never duplicate a create, OAuth refresh, tracing.
//!
//! Built on the generated `hubspot-crm-api` crate, re-exported as [`api`].

mod associations;
mod auth;
mod bulk;
mod client;
mod error;
mod leads;
mod limit;
mod model;
mod objects;
mod properties;
mod retry;
mod search;
mod stream;
mod transport;

pub use associations::{
    AssociationBatch, AssociationInput, AssociationLabel, AssociationLink, AssociationRemoval,
    AssociationTarget, Associations, DefaultAssociation, LeadAssociation, RecordAssociations,
    ToLeadAssociation, hubspot_defined, limits as association_limits,
};
pub use auth::{OAuthRefresh, RefreshedTokens, Secret, StaticToken, TokenProvider};
pub use bulk::{
    Bulk, BulkError, BulkOptions, BulkResult, DEFAULT_CONCURRENCY, FailureCause, ItemError,
    ItemOutcome, MAX_BATCH_INPUTS,
};
pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL};
pub use error::{ApiError, ApiErrorDetail, AuthError, Error, Result, ValidationError};
pub use leads::{Leads, NewLead, properties as lead_properties};
pub use limit::{RateLimits, Window};
pub use model::{
    AssociatedRecord, AssociationCategory, AssociationType, BatchItemError, BatchResponse,
    NewAssociation, NewRecord, Page, PropertyValue, ReadOptions, Record, RecordUpdate,
};
pub use objects::{Company, Contact, CrmObject, Lead, Objects, validate_record_id};
pub use properties::{Properties, PropertyDefinition, PropertyDefinitions, PropertyOption};
pub use retry::RetryPolicy;
pub use search::{
    Direction, Filter, FilterGroup, Operator, SearchRequest, Sort, limits as search_limits,
};
pub use stream::{MAX_LIST_PAGE_SIZE, OBJECT_ID_PROPERTY, RecordStream, StreamOptions};

/// The generated low-level client.
pub use hubspot_crm_api as api;

/// What [`crm_object!`] expands to needs; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use std::collections::BTreeMap;
    pub use std::sync::Arc;

    pub use futures::future::BoxFuture;
    pub use hubspot_crm_api as api;

    pub use crate::client::Client;
    pub use crate::error::{ApiErrorDetail, Error, Result, ValidationError};
    pub use crate::model::{
        AssociatedRecord, BatchItemError, BatchResponse, NewAssociation, NewRecord, Page,
        PropertyValue, ReadOptions, Record, RecordUpdate, comma_list,
    };
    pub use crate::objects::{CrmObject, describe_input};
    pub use crate::search::{Direction, SearchRequest};
    pub use crate::transport::Call;

    /// Builds an error detail (the type is non-exhaustive).
    pub fn detail(
        message: Option<String>,
        code: Option<String>,
        in_: Option<String>,
        sub_category: Option<String>,
        context: BTreeMap<String, Vec<String>>,
    ) -> ApiErrorDetail {
        ApiErrorDetail {
            message,
            code,
            in_,
            sub_category,
            context,
        }
    }
}

/// The README's examples compile.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;
