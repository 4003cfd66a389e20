//! An ergonomic, validated client for HubSpot's CRM, built around its Leads API.
//!
//! - every lead operation HubSpot documents, with lead-specific validation before sending;
//! - batches of any size, each input accounted for; streaming list and search past 10,000;
//! - typed records: your own `serde` struct read from HubSpot's string values and written as
//!   them, on every read and write ([`Objects::typed`], the [`typed`] module);
//! - association types by name, and label lookups;
//! - rate limiting (in process, or shared by every process of an app in Redis with the
//!   `redis` feature), retries that never duplicate a create, OAuth refresh, tracing;
//! - a change feed, exactly-once creates and webhook verification, for syncing;
//! - HubSpot's legacy `v3`/`v4` API (the default) and the dated 2026-09 API, one switch
//!   ([`ClientBuilder::api_version`]) for every operation;
//! - any CRM object type (contacts, companies, deals, tickets, custom objects) through one
//!   trait, [`CrmObject`], implemented in your own crate.
//!
//! Built on the generated `hubspot-crm-api` crate, re-exported as [`api`].
//!
//! # From a token to a bulk sync
//!
//! **1. Install.** `cargo add hubspot-crm tokio --features tokio/macros,tokio/rt-multi-thread`.
//!
//! **2. A client.** A private app's access token (Settings → Integrations → Private apps, with
//! the `crm.objects.leads.read`/`write` and contacts scopes) is all it takes;
//! [`Client::from_env`] reads `HUBSPOT_ACCESS_TOKEN`. OAuth apps use [`OAuthRefresh`]. Clones
//! share one connection pool, rate limiter and retry policy.
//!
//! ```no_run
//! # fn main() -> hubspot_crm::Result<()> {
//! use hubspot_crm::{Client, RateLimits};
//!
//! let client = Client::builder()
//!     .access_token(std::env::var("HUBSPOT_ACCESS_TOKEN").unwrap_or_default())
//!     .rate_limits(RateLimits {
//!         general: Some(RateLimits::PROFESSIONAL), // 190 requests per 10 s
//!         ..RateLimits::default()
//!     })
//!     .build()?;
//! # let _ = client; Ok(()) }
//! ```
//!
//! **3. One lead.** A lead needs a name and an existing contact; bad input fails with
//! [`Error::Validation`] naming the field before anything is sent.
//!
//! ```no_run
//! # async fn run(client: hubspot_crm::Client) -> hubspot_crm::Result<()> {
//! let lead = client.leads().new_lead("Acme renewal").contact("51").label("WARM").send().await?;
//! println!("lead {} created", lead.id);
//! # Ok(()) }
//! ```
//!
//! **4. Many leads.** [`Objects::create_many`] (and `read_many`, `update_many`, `upsert_many`,
//! `archive_many`) take any number of inputs, check them all first, send 100 per request and
//! return one outcome per input, in input order: a 207's failures are tied to their inputs,
//! and a create whose answer was lost is reported as such, never resent.
//!
//! ```no_run
//! # async fn run(client: hubspot_crm::Client) -> hubspot_crm::Result<()> {
//! use hubspot_crm::NewRecord;
//!
//! let leads = client.leads();
//! let inputs: Vec<NewRecord> = (0..1_000)
//!     .map(|i| leads.new_lead(format!("Lead {i}")).contact("51").into_new_record())
//!     .collect();
//! let result = leads.create_many(inputs).await?;
//! for failure in result.failed() {
//!     eprintln!("input {}: {} (may exist: {})", failure.index, failure.cause, failure.may_have_been_applied());
//! }
//! # Ok(()) }
//! ```
//!
//! **5. Every lead.** [`Objects::list_stream`] and [`Objects::search_stream`] are streams
//! across pages; searches sorted by id page by keyset, past HubSpot's 10,000-result cap.
//!
//! ```no_run
//! # async fn run(client: hubspot_crm::Client) -> hubspot_crm::Result<()> {
//! use futures::TryStreamExt;
//! use hubspot_crm::{ReadOptions, StreamOptions};
//!
//! let mut leads = client.leads().list_stream(ReadOptions::new(), StreamOptions::new());
//! while let Some(lead) = leads.try_next().await? {
//!     println!("{} {:?}", lead.id, lead.property("hs_lead_name"));
//! }
//! # Ok(()) }
//! ```
//!
//! **6. A sync.** [`Objects::changes`] reads what changed since a stored [`Checkpoint`],
//! oldest first, without gaps; [`Objects::unique_by`] creates your records exactly once, keyed
//! by a unique-value property holding your id; [`WebhookVerifier`] checks HubSpot's webhook
//! signatures, the cue to read the feed again.
//!
//! ```no_run
//! # async fn run(client: hubspot_crm::Client, stored: hubspot_crm::Checkpoint) -> hubspot_crm::Result<()> {
//! use futures::TryStreamExt;
//! use hubspot_crm::{ChangeFeedOptions, NewRecord, UniqueOutcome};
//!
//! let leads = client.leads();
//! let mut feed = leads.changes(stored, ChangeFeedOptions::new());
//! while let Some(change) = feed.try_next().await? {
//!     // Write change.record to your database, then store change.checkpoint.
//!     let _ = change.checkpoint;
//! }
//! let mine = vec![leads.new_lead("From our CRM").contact("51").property("external_id", "ext-1").into_new_record()];
//! let result = leads.unique_by("external_id").create(mine).await?;
//! for outcome in &result.outcomes {
//!     if let UniqueOutcome::Created(lead) | UniqueOutcome::AlreadyExisted(lead) = outcome {
//!         println!("ext-1 is lead {}", lead.id);
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! **7. Several workers.** HubSpot's limits are per app: processes sharing a token keep to
//! one window with a shared store (feature `redis`, `RedisStore`, see
//! `ClientBuilder::rate_limit_store`).
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `rustls` | yes | TLS by rustls (the HTTP client's own default) |
//! | `native-tls` | no | TLS by the platform's library (OpenSSL, Secure Transport, SChannel) |
//! | `redis` | no | `RedisStore`: rate limits and the daily budget shared by every process of an app |
//!
//! The HubSpot emulator used by the examples and tests is its own crate, `hubspot-sandbox`,
//! best taken as a dev-dependency.
//!
//! # Examples
//!
//! The repository's `crates/hubspot-crm/examples/` run against an embedded sandbox without a
//! token and against HubSpot with one: the quickstart (the lead lifecycle), a CSV import with
//! per-row outcomes, an NDJSON export, the sync loop, a webhook receiver and a custom object.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod account_checks;
mod associations;
mod auth;
mod bulk;
mod cache;
mod changes;
mod client;
mod error;
mod http;
mod leads;
mod limit;
mod long_lists;
mod model;
mod objects;
mod owners;
mod pipelines;
mod properties;
mod property_validations;
mod query_budget;
mod retry;
mod route;
mod schemas;
mod search;
mod stream;
mod transport;
pub mod typed;
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
    InvalidInputs, ItemError, ItemOutcome, MAX_BATCH_INPUTS,
};
pub use changes::{Change, ChangeFeedOptions, ChangeStream, Checkpoint};
pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_MAX_QUERY_LENGTH};
pub use error::{
    ApiError, ApiErrorDetail, AuthError, Error, PropertyDifference, RefusedValue, Result,
    ValidationError,
};
/// The generated request types of property writes (v3's; the client converts them for
/// 2026-09), and of property group writes.
pub use hubspot_crm_api::properties::types::{
    OptionInput as PropertyOptionInput, PropertyCreate, PropertyCreateFieldType,
    PropertyCreateType, PropertyUpdate, PropertyUpdateFieldType, PropertyUpdateType,
};
pub use hubspot_crm_api::shared::{PropertyGroupCreate, PropertyGroupUpdate};
pub use leads::{Lead, Leads, NewLead, properties as lead_properties};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use limit::redis::RedisStore;
pub use limit::{DailyBudget, OnUnreachable, RateLimits, Window};
pub use model::{
    AssociationCategory, AssociationLabel, AssociationType, NewRecord, Page, PropertyDefinition,
    PropertyDefinitions, PropertyOption, PropertyValue, ReadOptions, Record, RecordUpdate,
};
pub use objects::{AnyObject, Company, Contact, CrmObject, Objects};
pub use owners::{AccountOwners, MAX_OWNER_PAGES, MAX_OWNERS_PAGE_SIZE, Owner, OwnerQuery, Owners};
pub use pipelines::{AccountPipelines, Pipeline, PipelineStage, Pipelines};
pub use properties::{Ensured, NewProperty, Properties, PropertyBatch, PropertyGroup};
pub use property_validations::{
    PropertyRules, PropertyValidations, RuleType, ValidationRule, ValidationRuleUpdate,
    ValidationRules,
};
pub use retry::RetryPolicy;
pub use schemas::{
    AssociationDefinition, AssociationDefinitionEgg, CustomObjectDefinition, CustomObjectSchema,
    ObjectSchemaEgg, ObjectTypeDefinitionLabels, ObjectTypeDefinitionPatch,
    ObjectTypePropertyCreate, ObjectTypePropertyCreateType, Schemas,
};
pub use search::{
    Direction, Filter, FilterGroup, Operator, SearchRequest, Sort, limits as search_limits,
};
pub use stream::{MAX_LIST_PAGE_SIZE, OBJECT_ID_PROPERTY, RecordStream, StreamOptions};
pub use typed::{
    NoneMeans, TypedChange, TypedChangeInput, TypedChangeStream, TypedNew, TypedObjects,
    TypedRecord, TypedRecordStream, TypedUniqueCreates, TypedUniqueOutcome, TypedUniqueResult,
    from_properties, property_names, to_properties,
};
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
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
