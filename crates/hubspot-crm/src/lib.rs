//! An ergonomic, validated client for HubSpot's CRM Leads API.
//!
//! - every lead operation HubSpot documents, with lead-specific validation before sending;
//! - batches of any size, each input accounted for; streaming list and search past 10,000;
//! - association types by name, and label lookups;
//! - rate limiting (in process, or shared by every process of an app in Redis with the
//!   `redis` feature), retries that never duplicate a create, OAuth refresh, tracing;
//! - HubSpot's legacy `v3`/`v4` API (the default) and the dated 2026-09 API, one switch
//!   ([`ClientBuilder::api_version`]) for every operation.
//!
//! Built on the generated `hubspot-crm-api` crate, re-exported as [`api`].

mod associations;
mod auth;
mod bulk;
mod cache;
mod changes;
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
mod unique;
mod v2026_09;
mod validate;
mod version;
mod webhooks;

pub use associations::{
    AssociationBatch, AssociationInput, AssociationLink, AssociationRemoval, AssociationTarget,
    Associations, DefaultAssociation, LeadAssociation, RecordAssociations, ToLeadAssociation,
    hubspot_defined, limits as association_limits,
};
pub use auth::{OAuthRefresh, RefreshedTokens, Secret, StaticToken, TokenProvider};
pub use bulk::{
    BatchItemError, Bulk, BulkError, BulkOptions, BulkResult, DEFAULT_CONCURRENCY, FailureCause,
    ItemError, ItemOutcome, MAX_BATCH_INPUTS,
};
pub use changes::{Change, ChangeFeedOptions, ChangeStream, Checkpoint};
pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL};
pub use error::{ApiError, ApiErrorDetail, AuthError, Error, Result, ValidationError};
pub use leads::{Lead, Leads, NewLead, properties as lead_properties};
#[cfg(feature = "redis")]
pub use limit::redis::RedisStore;
pub use limit::{DailyBudget, OnUnreachable, RateLimits, Window};
pub use model::{
    AssociationCategory, AssociationLabel, AssociationType, NewRecord, Page, PropertyDefinition,
    PropertyDefinitions, PropertyOption, PropertyValue, ReadOptions, Record, RecordUpdate,
};
pub use objects::{AnyObject, Company, Contact, CrmObject, Objects};
pub use properties::Properties;
pub use retry::RetryPolicy;
pub use search::{
    Direction, Filter, FilterGroup, Operator, SearchRequest, Sort, limits as search_limits,
};
pub use stream::{MAX_LIST_PAGE_SIZE, OBJECT_ID_PROPERTY, RecordStream, StreamOptions};
pub use unique::{UniqueCreates, UniqueFailure, UniqueOptions, UniqueOutcome, UniqueResult};
pub use validate::validate_record_id;
pub use version::ApiVersion;
pub use webhooks::{
    SignatureVersion, WEBHOOK_MAX_AGE, WEBHOOK_MAX_BODY_BYTES, WebhookError, WebhookEvent,
    WebhookEventKind, WebhookObjectType, WebhookVerifier, headers as webhook_headers, parse_events,
    parse_events_with_limit,
};

/// The generated low-level client.
pub use hubspot_crm_api as api;
/// A record id as HubSpot sends it (a string, or a number in the v4 associations API).
pub use hubspot_crm_api::RecordId;

/// The README's examples compile.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;
