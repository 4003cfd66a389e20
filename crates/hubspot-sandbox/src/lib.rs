//! An in-memory, stateful HTTP server that behaves like HubSpot's CRM API for leads,
//! contacts, companies and their associations.
//!
//! The generic object, search, properties and association routes serve any CRM object
//! type: standard types by name or id (`deals` or `0-3`, `tickets` or `0-5`, ...) and
//! custom objects by id (`2-1234567`) without registration, each type with its own store.
//! Other type names get HubSpot's 400 "Unable to infer object type from: ...". Leads,
//! contacts, companies and deals refuse properties they do not define; the other types take
//! any property as a string. Every write (single or batch, create, update or upsert, on both
//! API lines) checks the values of the properties the sandbox has definitions for: an
//! `enumeration` takes one of its options (a `checkbox` multi-select several, `;`-separated),
//! a contact's `email` an address (`INVALID_EMAIL`), a `number` a decimal, a `date`
//! `YYYY-MM-DD` or epoch milliseconds at midnight UTC, a `datetime` ISO 8601 or epoch
//! milliseconds, a `bool` `true` or `false`; read-only properties (`readOnlyValue` or
//! `calculated`, such as `hs_object_id`) cannot be written. The empty string clears any
//! writable property. The number of unregistered custom types is capped
//! ([`SandboxConfig::max_custom_object_types`]).
//!
//! It reproduces the parts of HubSpot's behaviour that clients trip over: validation
//! errors in HubSpot's shape, batch writes refused whole or answered per input (see
//! below), the 10,000-result search cap,
//! association labels, leads deleted when they lose their primary contact, rate-limit
//! headers and 429 bodies, 414 for URLs past HubSpot's limit, and (opt-in, seeded) proxy
//! errors, dropped connections and latency.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use hubspot_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::new()).await?;
//! let contact = sandbox.seed_contact(serde_json::json!({"email": "ada@example.com"}));
//! let leads = sandbox.seed_leads(&contact, 250);
//! println!("{} leads at {}", leads.len(), sandbox.base_url());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Cleared property values (written as `""`) read back as `""`, as HubSpot does; properties
//! that were never set read back as `null`.
//!
//! # Syncing
//!
//! - Every write of a record (create, update, upsert, single or batch, archive, and
//!   [`Sandbox::restore`]) sets `hs_lastmodifieddate` (and `updatedAt`) to the write's time
//!   in milliseconds; association changes do not. Stamps follow the order in which writes
//!   reach the store (a later write never has an earlier stamp; many share a millisecond),
//!   and search filters and sorts them as instants (epoch milliseconds or ISO 8601), equal
//!   values in id order, so keyset paging by `(hs_lastmodifieddate, hs_object_id)` is
//!   stable.
//! - [`SandboxConfig::unique_property`] adds unique-value properties (HubSpot's
//!   `hasUniqueValue`) to any type, for creating exactly once by an external id.
//! - [`SandboxConfig::fail_after_work_rate`] and [`SandboxConfig::lose_answer_rate`] do the
//!   work and lose the answer; [`SandboxConfig::index_delay`] makes searches lag behind
//!   writes as HubSpot's index does.
//! - [`Sandbox::send_webhook`] sends webhook events signed as HubSpot signs them (see
//!   [`webhook`]).
//!
//! # Properties
//!
//! The Properties API's writes are served on both lines: properties created (201; 409
//! `CONFLICT` for a name the type has, archived properties keeping theirs), changed, archived
//! (204; then listed only with `?archived=true`) and batch created, read and archived, and
//! property groups listed, created, changed and archived (a group holding properties is
//! refused). A created property joins the type's definitions at once: writes check values
//! against it as against the built-in ones, and one with `hasUniqueValue` refuses repeated
//! values and addresses records as `idProperty`, as a [`SandboxConfig::unique_property`]
//! does. What HubSpot refuses is refused: a `fieldType` the `type` does not take, an unknown
//! group, an enumeration without options, a name that is not lowercase letters, digits and
//! `_`, a new type for a HubSpot-defined property, archiving one.
//!
//! # Batch writes
//!
//! Batch writes are answered as HubSpot has been seen to answer them:
//!
//! - A batch create whose every input carries its own `objectWriteTraceId` answers refused
//!   inputs one by one (207, each error tied by `context.objectWriteTraceId`); any other batch
//!   write with a refused input is refused whole and writes nothing, answering 400 `Property
//!   values were not valid: [...]` for a refused value or 409 `Contact already exists.
//!   Existing ID: 12345` for a unique value another record holds, naming the property or the
//!   first existing record and never the input. [`SandboxConfig::partial_success`] switches
//!   to the other readings ([`PartialSuccess`]).
//! - A batch update naming a record that does not exist fails that input alone
//!   (`OBJECT_NOT_FOUND`, 207); [`SandboxConfig::empty_answer_for_missing_ids`] answers it
//!   instead with nothing at all (207, the input absent from `results`, no `errors`).
//! - Single writes answer a unique conflict with the same 409 message (plus the sandbox's
//!   `context.id`).
//!
//! # Custom object schemas
//!
//! The schemas API (`/crm-object-schemas/v3/schemas` and `/crm-object-schemas/2026-09/schemas`,
//! served alike) lists, reads, creates, updates and deletes custom object schemas. A created
//! schema is a new custom object type with the next free id `2-N` (one above every custom
//! type number the sandbox knows, from `2-3000001`) and the fully qualified name
//! `p<portal id>_<name>` ([`webhook::PORTAL_ID`]); the objects, search, properties and
//! associations APIs serve it at once by id, name, `p_<name>` or fully qualified name. Its
//! properties (after HubSpot's defaults `hs_object_id`, `hs_createdate` and
//! `hs_lastmodifieddate`) are its definitions, so writes are checked against them, and its
//! `requiredProperties` must have values when records are created (400 `VALIDATION_ERROR`,
//! each missing property a `REQUIRED_FIELD`). A name held already (by a schema, a registered
//! type or a standard type) is a 409 `CONFLICT`. Deleting a schema is refused while the type
//! has live records; after it the type is gone from every API, its name held until
//! `DELETE ...?archived=true` purges it. Association definitions (`POST .../associations`)
//! get new ids, listed by the labels API for the pair. Types registered with
//! [`SandboxConfig::custom_object_type`] are listed as schemas too, with free-form properties.
//!
//! # API versions
//!
//! Besides the legacy v3/v4 paths, the sandbox serves HubSpot's date-versioned 2026-09 API
//! from the same store (a lead created on one reads back on the other):
//!
//! - objects: `/crm/objects/2026-09/{objectType}` (list, create), `/{objectId}` (read,
//!   update, archive), `/batch/{read,create,update,upsert,archive}`, `/search`;
//! - associations: `PUT` and `DELETE /crm/objects/2026-09/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}`,
//!   `PUT /crm/objects/2026-09/{objectType}/{objectId}/associations/default/{toObjectType}/{toObjectId}`,
//!   `POST /crm/associations/2026-09/{from}/{to}/batch/{read,create,archive,labels/archive,associate/default}`
//!   and `GET /crm/associations/2026-09/{from}/{to}/labels`;
//! - properties: `/crm/properties/2026-09/{objectType}`, `/{propertyName}`,
//!   `/batch/{create,read,archive}`, `/groups` and `/groups/{groupName}`.
//! - property validation rules: `/crm/property-validations/2026-09/{objectTypeId}`,
//!   `/{propertyName}` and `/{propertyName}/rule-type/{ruleType}` (v3:
//!   `/crm/v3/property-validations/...`), see [`SandboxConfig::property_validation`].
//! - pipelines: `/crm/pipelines/2026-09/{objectType}` and below (as v3's
//!   `/crm/v3/pipelines/{objectType}`), owners: `/crm/owners/2026-09` (as `/crm/v3/owners`).
//!
//! Where the 2026-09 spec differs, the answers follow it: association batch archives answer
//! 200 with an empty batch result instead of 204, association batch create answers 200
//! instead of 201, and association batch read pages each input (at most
//! [`ASSOCIATION_BATCH_READ_PAGE`] targets, or [`SandboxConfig::association_page_size`],
//! then `paging.next.after`). Only 2026-09 writes are checked against the account's
//! [`ValidationRule`]s and property validation rules (v3 writes too with
//! [`SandboxConfig::property_validations_on_v3`]).
//!
//! # Pipelines and owners
//!
//! Pipelines are account data, as at HubSpot: every sandbox starts with the lead pipeline
//! `lead-pipeline-id`, the deals pipeline `default` and the tickets pipeline `0`, with their
//! stages, and the pipelines API lists, reads, creates, replaces, updates and archives
//! pipelines and stages of any object type (audits answer an empty list). The options of
//! the pipeline and stage properties (`hs_pipeline`/`hs_pipeline_stage`, deals'
//! `pipeline`/`dealstage`) are what the pipelines hold: a record write (single or batch, on
//! both lines) takes a live pipeline and a live stage of the record's pipeline (the one the
//! write gives, else the record's, else the type's first in display order); another value is
//! refused like any refused value (`INVALID_OPTION`). A new lead starts in its pipeline's
//! first stage. `hubspot_owner_id` takes an active owner's id (see
//! [`SandboxConfig::owner`]), else `INVALID_OWNER_ID`.
//!
//! Association batch archives (`batch/archive` and `batch/labels/archive`, on both lines)
//! carry out the valid inputs and report the others: with failures they answer 207 with
//! the batch result (`results: []`, `errors`, `numErrors`), each error
//! `{status: "error", category, message, context}`. An input whose from-record (or, for
//! `batch/archive`, one of whose target records) is not a live record of its type is an
//! `OBJECT_NOT_FOUND` naming the id in `context.fromObjectId` / `context.toObjectId`; a
//! `labels/archive` input naming an association type that does not exist between the two
//! object types is a `VALIDATION_ERROR`. Removing an association that is not there is no
//! failure (so a resent removal succeeds). Without failures v4 answers 204 and 2026-09 200.

mod account;
mod api;
mod custom;
mod error;
mod limits;
mod owners;
mod pipelines;
mod property_validations;
mod rules;
mod schema;
mod store;
mod values;
pub mod webhook;

pub use owners::Owner;
pub use rules::ValidationRule;
pub use webhook::{LegacySignature, WebhookOptions};

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::store::Store;

/// How many requests [`Sandbox::request_log`] keeps (oldest are dropped first).
pub const REQUEST_LOG_CAPACITY: usize = 100_000;

/// How many bytes of paths, query strings and bodies [`Sandbox::request_log`] keeps at most
/// (oldest requests are dropped first), so that long URLs and big bodies cannot grow the log
/// without bound.
pub const REQUEST_LOG_BYTES: usize = 64 * 1024 * 1024;

/// Largest request body the sandbox reads; larger ones get 413.
pub const MAX_REQUEST_BODY: usize = 64 * 1024 * 1024;

/// Longest request line (method, path and query string) answered unless configured
/// otherwise ([`SandboxConfig::max_request_line`]); longer ones get 414, as HubSpot's edge
/// answers URLs past its limit (around 8-16 KB).
pub const DEFAULT_MAX_REQUEST_LINE: usize = 16 * 1024;

/// How many associated objects one input of a 2026-09 association batch read answers at
/// most by default (HubSpot's page; [`SandboxConfig::association_page_size`] changes it);
/// the rest come with `paging.next.after` (v4 batch reads answer all of them).
pub const ASSOCIATION_BATCH_READ_PAGE: usize = 500;

/// How many values of each property an object keeps (`propertiesWithHistory` lists them
/// newest first); older values are dropped.
pub const PROPERTY_HISTORY_CAPACITY: usize = 100;

/// How many issued OAuth access tokens the sandbox keeps at most; past that the oldest are
/// forgotten (and then refused as unknown).
pub const OAUTH_TOKEN_CAPACITY: usize = 10_000;

/// How long an expired OAuth access token is remembered (and answered with 401
/// `EXPIRED_AUTHENTICATION` rather than as an unknown token) before it is pruned.
pub const OAUTH_EXPIRED_TOKEN_MEMORY: Duration = Duration::from_secs(3600);

/// Locks a mutex, ignoring poisoning: the state stays usable after a failed handler.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Stands in for a secret in `Debug` output.
const REDACTED: &str = "<redacted>";

/// An OAuth app registered with the sandbox. `Debug` redacts its secret and refresh token.
#[derive(Clone)]
pub(crate) struct OAuthClient {
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &REDACTED)
            .field("refresh_token", &REDACTED)
            .finish()
    }
}

/// Which batch writes answer their refused inputs one by one instead of refusing the whole
/// batch; set with [`SandboxConfig::partial_success`].
///
/// An input is refused for a value its property does not take (an option it does not
/// list, an invalid email, a number, date, datetime or boolean that does not parse, a
/// read-only or unknown property), a unique value another record holds, a missing required
/// property or association, or, on 2026-09, an account [`ValidationRule`]. A record id that does not exist is not a refusal (see
/// [`SandboxConfig::empty_answer_for_missing_ids`]).
///
/// - Answered per input, the valid inputs are written and the answer is 207: each refused
///   input has its own error in `errors`, tied to it by `context.objectWriteTraceId` (and, for
///   updates and upserts, `context.ids`), a conflict naming the existing record.
/// - Refused whole, nothing of the batch is written and the answer is the first refused
///   input's error, naming the property or the existing record but never the input. A
///   refused value is a 400 `{"status": "error", "message": "Property values were not valid:
///   [{\"isValid\":false,\"message\":\"Email address x@y.invalid is invalid\",\"error\":\"INVALID_EMAIL\",\"name\":\"email\",...}]",
///   "correlationId": "<uuid>", "category": "VALIDATION_ERROR"}`; a unique value another
///   record holds is a 409 `{"status": "error", "message": "Contact already exists. Existing
///   ID: 12345", "correlationId": "<uuid>", "category": "CONFLICT"}`; other errors (a missing
///   association, a validation rule) keep their `errors[]`.
///
/// Whatever the setting, a batch update naming one record twice (400) and a batch write whose
/// inputs give one unique value twice (409) are refused whole.
/// Each variant models a reading of hubspot-facts.md, "Batch writes as HubSpot answers them".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PartialSuccess {
    /// Only a batch create whose every input carries its own `objectWriteTraceId` answers per
    /// input; every other batch write is refused whole. "Partial success is opt-in": HubSpot
    /// documents per-input failures for such creates, and "Otherwise one bad input rejects
    /// the whole batch". The default.
    #[default]
    TracedCreates,
    /// Batch creates, updates and upserts whose every input carries its own
    /// `objectWriteTraceId` answer per input: the other reading of "Partial success is
    /// opt-in", since the v3 reference shows the field on update and upsert inputs without
    /// saying whether it opts them in.
    TracedWrites,
    /// Every batch write with a refused input is refused whole, trace ids or not, as
    /// integrators describe HubSpot ("Otherwise one bad input rejects the whole batch": it
    /// "doesn't return any partial failures, it discards the entire batch").
    Never,
}

/// Behaviour of a [`Sandbox`]: limits, faults and authentication. Everything is off by
/// default, apart from requiring some bearer token. `Debug` redacts the access token and the
/// OAuth apps' secrets.
#[derive(Clone, Default)]
pub struct SandboxConfig {
    pub(crate) rate_limit: Option<(u32, Duration)>,
    pub(crate) search_rate_limit: Option<u32>,
    pub(crate) daily_limit: Option<u64>,
    pub(crate) fail_rate: Option<(f64, u64)>,
    pub(crate) drop_rate: Option<(f64, u64)>,
    pub(crate) lose_answer_rate: Option<(f64, u64)>,
    pub(crate) fail_after_work_rate: Option<(f64, u64)>,
    pub(crate) index_delay: Option<Duration>,
    /// Configured unique-value properties: (object type as given, property name).
    pub(crate) unique_properties: Vec<(String, String)>,
    pub(crate) latency: Option<Duration>,
    pub(crate) access_token: Option<String>,
    pub(crate) oauth_clients: Vec<OAuthClient>,
    pub(crate) oauth_token_ttl: Option<Duration>,
    pub(crate) max_custom_types: Option<usize>,
    /// Registered custom object types: (canonical `2-N` id, lowercase name).
    pub(crate) custom_types: Vec<(String, String)>,
    pub(crate) validation_rules: Vec<ValidationRule>,
    pub(crate) association_page_size: Option<usize>,
    pub(crate) partial_success: PartialSuccess,
    pub(crate) empty_answer_for_missing_ids: bool,
    pub(crate) max_request_line: Option<usize>,
    /// The account's property validation rules, as configured.
    pub(crate) property_validations: Vec<property_validations::Configured>,
    pub(crate) property_validations_on_v3: bool,
    /// Owners besides the seeded ones.
    pub(crate) owners: Vec<Owner>,
}

impl std::fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Destructured so that a new field cannot be printed without a decision here.
        let SandboxConfig {
            rate_limit,
            search_rate_limit,
            daily_limit,
            fail_rate,
            drop_rate,
            lose_answer_rate,
            fail_after_work_rate,
            index_delay,
            unique_properties,
            latency,
            access_token,
            oauth_clients,
            oauth_token_ttl,
            max_custom_types,
            custom_types,
            validation_rules,
            association_page_size,
            partial_success,
            empty_answer_for_missing_ids,
            max_request_line,
            property_validations,
            property_validations_on_v3,
            owners,
        } = self;
        f.debug_struct("SandboxConfig")
            .field("rate_limit", rate_limit)
            .field("search_rate_limit", search_rate_limit)
            .field("daily_limit", daily_limit)
            .field("fail_rate", fail_rate)
            .field("drop_rate", drop_rate)
            .field("lose_answer_rate", lose_answer_rate)
            .field("fail_after_work_rate", fail_after_work_rate)
            .field("index_delay", index_delay)
            .field("unique_properties", unique_properties)
            .field("latency", latency)
            .field("access_token", &access_token.as_ref().map(|_| REDACTED))
            .field("oauth_clients", oauth_clients)
            .field("oauth_token_ttl", oauth_token_ttl)
            .field("max_custom_types", max_custom_types)
            .field("custom_types", custom_types)
            .field("validation_rules", validation_rules)
            .field("association_page_size", association_page_size)
            .field("partial_success", partial_success)
            .field("empty_answer_for_missing_ids", empty_answer_for_missing_ids)
            .field("max_request_line", max_request_line)
            .field("property_validations", property_validations)
            .field("property_validations_on_v3", property_validations_on_v3)
            .field("owners", owners)
            .finish()
    }
}

impl SandboxConfig {
    /// A configuration with no limits, no faults and any bearer token accepted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Emulates HubSpot's rolling window: at most `max_requests` per `window`, then 429
    /// with policy `TEN_SECONDLY_ROLLING`. Every response then carries the
    /// `X-HubSpot-RateLimit-*` headers. Search requests have their own limit instead.
    pub fn rate_limit(mut self, max_requests: u32, window: Duration) -> Self {
        self.rate_limit = Some((max_requests, window));
        self
    }

    /// Limits search requests to `per_second` (HubSpot: 5), then 429 with policy `SECONDLY`.
    pub fn search_rate_limit(mut self, per_second: u32) -> Self {
        self.search_rate_limit = Some(per_second);
        self
    }

    /// After `max` accepted requests every request gets 429 with policy `DAILY`.
    pub fn daily_limit(mut self, max: u64) -> Self {
        self.daily_limit = Some(max);
        self
    }

    /// Answers a share of requests with a proxy-style 502, 503 or 504 HTML page. The
    /// sequence is reproducible for a given `seed` and request order.
    pub fn fail_rate(mut self, probability: f64, seed: u64) -> Self {
        self.fail_rate = Some((probability, seed));
        self
    }

    /// Delays every answer by `d`.
    pub fn latency(mut self, d: Duration) -> Self {
        self.latency = Some(d);
        self
    }

    /// Closes the connection without answering for a share of requests (seeded).
    pub fn drop_rate(mut self, probability: f64, seed: u64) -> Self {
        self.drop_rate = Some((probability, seed));
        self
    }

    /// Carries out a share of requests and then closes the connection without answering
    /// (seeded): the client cannot know the outcome, as when a gateway times out after
    /// HubSpot did the work.
    pub fn lose_answer_rate(mut self, probability: f64, seed: u64) -> Self {
        self.lose_answer_rate = Some((probability, seed));
        self
    }

    /// Carries out a share of requests and then answers 502 instead of the real answer
    /// (seeded, like the other faults): the client cannot know the outcome, as when a
    /// gateway fails after HubSpot did the work. The 502 body is, by a seeded choice, either
    /// HubSpot's JSON error (`{"status": "error", "message": "Bad Gateway", "correlationId",
    /// "category": "BAD_GATEWAY"}`, `Content-Type: application/json`) or a proxy's HTML page
    /// (`<html>...<h1>502 Bad Gateway</h1>...`, `Content-Type: text/html`).
    ///
    /// Only requests that reached the API are affected (not those refused for
    /// authentication or rate limits), reads as well as writes. One draw is made per such
    /// request, plus one for the body kind when it fails, so a given `seed` and request
    /// order give the same failures.
    pub fn fail_after_work_rate(mut self, probability: f64, seed: u64) -> Self {
        self.fail_after_work_rate = Some((probability, seed));
        self
    }

    /// Emulates HubSpot's search index lag: searches and batch reads by `idProperty` see a
    /// record only once `d` has passed since its last write (create, update, archive,
    /// restore, seeding); until then a search leaves it out and a batch read by
    /// `idProperty` reports it as not found. Reads by record id (`GET /{id}`, batch read without `idProperty`),
    /// lists, and `GET`/`PATCH /{id}?idProperty=` see every write at once.
    ///
    /// Uniqueness is enforced at once, as HubSpot's unique index does: a create repeating
    /// the unique value of a record written a moment ago is a 409 even while a search or a
    /// batch read by that value does not find the record yet, and an upsert by that value
    /// updates it. Off (zero) by default.
    pub fn index_delay(mut self, d: Duration) -> Self {
        self.index_delay = Some(d);
        self
    }

    /// Defines `name` as a unique-value string property (`hasUniqueValue: true`) of
    /// `object_type`, a type name or id as in a path (`leads`, `0-3`, a custom `2-1234567`
    /// or its registered name). An existing property of that name becomes unique instead.
    ///
    /// Creates, updates, upserts and batch writes that give it a value a live record of the
    /// type already has answer HubSpot's 409 `CONFLICT` (`Deal already exists. Existing ID:
    /// 123`; custom objects `Record already exists. ...`), single writes and per-input batch
    /// errors with `context.id` the existing record's id (see [`PartialSuccess`] for batches
    /// refused whole); in a batch write whose inputs repeat a value among themselves, the
    /// whole batch is a 409 and nothing of it is written. Empty values are not checked. The property can address
    /// records as `idProperty` (reads, updates, upserts, batch reads). Archived records
    /// release their values. Values compare exactly (case-sensitive). A custom type named
    /// here is served from the start and does not count against
    /// [`SandboxConfig::max_custom_object_types`].
    ///
    /// [`Sandbox::start`] fails with [`std::io::ErrorKind::InvalidInput`] if `object_type`
    /// names no type.
    ///
    /// ```
    /// use hubspot_sandbox::{Sandbox, SandboxConfig};
    /// use serde_json::{Value, json};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let config = SandboxConfig::new()
    ///     .custom_object_type("2-1234567", "machines")
    ///     .unique_property("machines", "serial_number");
    /// let sandbox = Sandbox::start(config).await.unwrap();
    /// let http = reqwest::Client::new();
    /// let url = format!("{}/crm/v3/objects/2-1234567", sandbox.base_url());
    /// let create = || {
    ///     http.post(&url)
    ///         .bearer_auth("token")
    ///         .json(&json!({"properties": {"serial_number": "SN-1"}}))
    ///         .send()
    /// };
    /// let first: Value = create().await.unwrap().json().await.unwrap();
    /// let again = create().await.unwrap();
    /// assert_eq!(again.status(), 409);
    /// let error: Value = again.json().await.unwrap();
    /// assert_eq!(error["category"], "CONFLICT");
    /// assert_eq!(error["context"]["id"][0], first["id"]);
    /// // The property addresses the record.
    /// let read = http
    ///     .get(format!("{url}/SN-1?idProperty=serial_number"))
    ///     .bearer_auth("token")
    ///     .send()
    ///     .await
    ///     .unwrap();
    /// assert_eq!(read.status(), 200);
    /// # sandbox.shutdown().await;
    /// # }
    /// ```
    pub fn unique_property(mut self, object_type: &str, name: impl Into<String>) -> Self {
        self.unique_properties.push((
            object_type.trim().to_string(),
            name.into().trim().to_string(),
        ));
        self
    }

    /// The configured unique properties by canonical type.
    fn resolved_unique_properties(&self) -> std::io::Result<Vec<(String, String)>> {
        self.unique_properties
            .iter()
            .map(|(raw, name)| {
                let otype = self.resolve_type(raw).ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("unique_property: no object type {raw:?}"),
                    )
                })?;
                if name.is_empty() {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("unique_property: empty property name for {raw:?}"),
                    ));
                }
                Ok((otype, name.clone()))
            })
            .collect()
    }

    /// Requires `Authorization: Bearer <token>`; other tokens get 401. Without this (and
    /// without [`SandboxConfig::oauth_client`]) any bearer token is accepted.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.access_token = Some(token.into());
        self
    }

    /// Registers an OAuth app for `POST /oauth/v1/token`. Access tokens it issues are
    /// accepted; once an app is registered, other tokens are rejected unless they equal
    /// [`SandboxConfig::access_token`].
    pub fn oauth_client(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        refresh_token: impl Into<String>,
    ) -> Self {
        self.oauth_clients.push(OAuthClient {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            refresh_token: refresh_token.into(),
        });
        self
    }

    /// Lifetime of issued OAuth access tokens (HubSpot: 30 minutes). Expired tokens get
    /// 401 `EXPIRED_AUTHENTICATION`. `expires_in` reports this value in seconds.
    pub fn oauth_token_ttl(mut self, ttl: Duration) -> Self {
        self.oauth_token_ttl = Some(ttl);
        self
    }

    /// Caps how many custom object types (`2-<digits>`) the sandbox serves without
    /// registration (default 64). Any `2-<digits>` id works as an object type, each with its
    /// own store, until this many are in use; a request naming one more gets 400
    /// `VALIDATION_ERROR`. Types registered with [`SandboxConfig::custom_object_type`] do
    /// not count.
    pub fn max_custom_object_types(mut self, max: usize) -> Self {
        self.max_custom_types = Some(max);
        self
    }

    /// Registers a custom object type: besides its id `type_id` (`2-<digits>`), it can then
    /// be named by `name`, `p_<name>` or `p<portal id>_<name>` (case-insensitive), all
    /// naming the same store. Standard type names (`deals`, `0-3`, ...) keep their meaning.
    ///
    /// # Panics
    ///
    /// If `type_id` is not of the form `2-<digits>`.
    pub fn custom_object_type(mut self, type_id: &str, name: impl Into<String>) -> Self {
        let id = schema::custom_type_id(type_id.trim())
            .unwrap_or_else(|| panic!("not a custom object type id (2-<digits>): {type_id}"));
        self.custom_types
            .push((id, name.into().trim().to_ascii_lowercase()));
        self
    }

    /// Adds an account validation rule. HubSpot's 2026-09 API applies an account's
    /// admin-configured rules to writes (creates, updates, upserts, single and batch); the
    /// v3 paths do not, so the same write can succeed on v3 and be a 400 `VALIDATION_ERROR`
    /// on 2026-09. In batches an input breaking a rule is refused like any other refused
    /// input: alone (207) where the batch is answered per input, else with the whole batch
    /// (see [`PartialSuccess`]).
    ///
    /// ```
    /// use hubspot_sandbox::{Sandbox, SandboxConfig, ValidationRule};
    /// use serde_json::{Value, json};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let config = SandboxConfig::new()
    ///     // A warm lead needs a lead type...
    ///     .validation_rule(ValidationRule::required_when(
    ///         "leads",
    ///         "hs_lead_type",
    ///         "hs_lead_label",
    ///         "WARM",
    ///     ))
    ///     // ...and every new ticket a priority.
    ///     .validation_rule(ValidationRule::required_on_create("tickets", "hs_ticket_priority"));
    /// let sandbox = Sandbox::start(config).await.unwrap();
    /// let http = reqwest::Client::new();
    /// let create = |path: &str| {
    ///     http.post(format!("{}{path}", sandbox.base_url()))
    ///         .bearer_auth("token")
    ///         .json(&json!({"properties": {"subject": "Printer on fire"}}))
    ///         .send()
    /// };
    /// let dated = create("/crm/objects/2026-09/tickets").await.unwrap();
    /// assert_eq!(dated.status(), 400);
    /// let error: Value = dated.json().await.unwrap();
    /// assert_eq!(error["category"], "VALIDATION_ERROR");
    /// assert_eq!(error["errors"][0]["code"], "REQUIRED_FIELD");
    /// assert_eq!(error["errors"][0]["context"]["propertyName"][0], "hs_ticket_priority");
    /// // v3 does not apply the account's rules.
    /// assert_eq!(create("/crm/v3/objects/tickets").await.unwrap().status(), 201);
    /// # sandbox.shutdown().await;
    /// # }
    /// ```
    pub fn validation_rule(mut self, rule: ValidationRule) -> Self {
        self.validation_rules.push(rule);
        self
    }

    /// How many associated objects one input of a 2026-09 association batch read answers at
    /// most (default [`ASSOCIATION_BATCH_READ_PAGE`], HubSpot's page); the rest come with
    /// `paging.next.after`, which the next read of that input passes back as its `after`.
    /// `0` is taken as `1`. v4 batch reads do not page and answer every target whatever this
    /// is.
    ///
    /// A page size unlike HubSpot's lets a test check that a client pages by the cursor it
    /// is given rather than by the `limit` it asked for.
    ///
    /// ```
    /// use hubspot_sandbox::{Sandbox, SandboxConfig};
    /// use serde_json::{Value, json};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let sandbox = Sandbox::start(SandboxConfig::new().association_page_size(2))
    ///     .await
    ///     .unwrap();
    /// let contact = sandbox.seed_contact(json!({}));
    /// for name in ["A", "B", "C"] {
    ///     let company = sandbox.seed_object("companies", json!({"name": name}));
    ///     sandbox.seed_association(&contact, &company, 279);
    /// }
    /// let read: Value = reqwest::Client::new()
    ///     .post(format!(
    ///         "{}/crm/associations/2026-09/contacts/companies/batch/read",
    ///         sandbox.base_url()
    ///     ))
    ///     .bearer_auth("token")
    ///     .json(&json!({"inputs": [{"id": contact}]}))
    ///     .send()
    ///     .await
    ///     .unwrap()
    ///     .json()
    ///     .await
    ///     .unwrap();
    /// assert_eq!(read["results"][0]["to"].as_array().unwrap().len(), 2);
    /// assert!(read["results"][0]["paging"]["next"]["after"].is_string());
    /// # sandbox.shutdown().await;
    /// # }
    /// ```
    pub fn association_page_size(mut self, n: usize) -> Self {
        self.association_page_size = Some(n);
        self
    }

    /// Which batch writes answer their refused inputs one by one (207) instead of refusing
    /// the whole batch; default [`PartialSuccess::TracedCreates`]. Tests can run a client
    /// against each reading of HubSpot's documentation.
    ///
    /// ```
    /// use hubspot_sandbox::{PartialSuccess, Sandbox, SandboxConfig};
    /// use serde_json::{Value, json};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let config = SandboxConfig::new().partial_success(PartialSuccess::TracedWrites);
    /// let sandbox = Sandbox::start(config).await.unwrap();
    /// let a = sandbox.seed_contact(json!({"email": "a@example.com"}));
    /// let b = sandbox.seed_contact(json!({"email": "b@example.com"}));
    /// let http = reqwest::Client::new();
    /// let update = |traced: bool| {
    ///     let mut inputs = json!([
    ///         {"id": a, "properties": {"firstname": "Ada"}},
    ///         {"id": b, "properties": {"email": "not-an-address"}},
    ///     ]);
    ///     if traced {
    ///         inputs[0]["objectWriteTraceId"] = json!("t-a");
    ///         inputs[1]["objectWriteTraceId"] = json!("t-b");
    ///     }
    ///     http.post(format!("{}/crm/v3/objects/contacts/batch/update", sandbox.base_url()))
    ///         .bearer_auth("token")
    ///         .json(&json!({"inputs": inputs}))
    ///         .send()
    /// };
    /// // Without trace ids the batch is refused whole, naming the property only.
    /// let whole = update(false).await.unwrap();
    /// assert_eq!(whole.status(), 400);
    /// let body: Value = whole.json().await.unwrap();
    /// assert_eq!(body["category"], "VALIDATION_ERROR");
    /// assert!(body["message"].as_str().unwrap().contains(r#""error":"INVALID_EMAIL""#));
    /// // With one on every input, the refused input fails alone.
    /// let partial = update(true).await.unwrap();
    /// assert_eq!(partial.status(), 207);
    /// let body: Value = partial.json().await.unwrap();
    /// assert_eq!(body["results"][0]["properties"]["firstname"], "Ada");
    /// assert_eq!(body["errors"][0]["context"]["objectWriteTraceId"], json!(["t-b"]));
    /// # sandbox.shutdown().await;
    /// # }
    /// ```
    pub fn partial_success(mut self, partial_success: PartialSuccess) -> Self {
        self.partial_success = partial_success;
        self
    }

    /// Answers a batch update naming records that do not exist (by id, or by an
    /// `idProperty` value no record has) as HubSpot has been seen to (hubspot-facts.md, "A
    /// 2xx that confirms nothing"): those inputs are left out of `results` without an error,
    /// nothing is written for them, and the answer is 207 even when `errors` is empty. Inputs
    /// naming existing records are updated and returned as usual, so a batch naming only
    /// missing records answers 207 with empty `results` and no `errors`.
    ///
    /// Off by default: each such input then has an `OBJECT_NOT_FOUND` error of its own
    /// (`context.ids`, and `context.objectWriteTraceId` when it has one) in a 207, the other
    /// inputs updated, as the v3 reference's 207 describes and batch reads answer. Either way
    /// a refused input elsewhere in a batch refused whole (see [`PartialSuccess`]) wins: the
    /// whole batch is refused.
    pub fn empty_answer_for_missing_ids(mut self, empty: bool) -> Self {
        self.empty_answer_for_missing_ids = empty;
        self
    }

    /// Answers 414 URI Too Long, with an HTML page as HubSpot's edge does, to a request
    /// whose request line (`GET /path?query HTTP/1.1`) is longer than `bytes` (default
    /// [`DEFAULT_MAX_REQUEST_LINE`]): reads listing hundreds of properties in the query
    /// string meet this limit at HubSpot. The request is logged, and not counted against the
    /// rate limits.
    pub fn max_request_line(mut self, bytes: usize) -> Self {
        self.max_request_line = Some(bytes);
        self
    }

    /// Adds an owner to the account, besides the three it starts with (`PERSON` owners
    /// `52550153`, `52550154` and `52550155`, with emails, names, user ids and teams). The
    /// owners API lists and reads them (`GET /crm/v3/owners` with `limit`, default 100 and
    /// at most 500, a larger one a 400, `after`, `email` and `archived`; `GET /crm/v3/owners/{ownerId}`; the
    /// same on `/crm/owners/2026-09`), and a record's `hubspot_owner_id` must be an active
    /// owner's id or empty: any other value is refused like any refused value, with HubSpot's
    /// code `INVALID_OWNER_ID`.
    ///
    /// [`Sandbox::start`] fails with [`std::io::ErrorKind::InvalidInput`] for an owner id
    /// that is not a positive 32-bit integer (the spec's type) or that is given twice.
    ///
    /// ```
    /// use hubspot_sandbox::{Owner, Sandbox, SandboxConfig};
    /// use serde_json::{Value, json};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let config = SandboxConfig::new()
    ///     .owner(Owner::person("90210001", "grace@example.com").name("Grace", "Hopper"))
    ///     .owner(Owner::person("90210002", "gone@example.com").archived());
    /// let sandbox = Sandbox::start(config).await.unwrap();
    /// let http = reqwest::Client::new();
    /// let deal = |owner: &str| {
    ///     http.post(format!("{}/crm/v3/objects/deals", sandbox.base_url()))
    ///         .bearer_auth("token")
    ///         .json(&json!({"properties": {"dealname": "Renewal", "hubspot_owner_id": owner}}))
    ///         .send()
    /// };
    /// assert_eq!(deal("90210001").await.unwrap().status(), 201);
    /// let refused = deal("90210002").await.unwrap();
    /// assert_eq!(refused.status(), 400);
    /// let error: Value = refused.json().await.unwrap();
    /// assert_eq!(error["errors"][0]["code"], "INVALID_OWNER_ID");
    /// # sandbox.shutdown().await;
    /// # }
    /// ```
    pub fn owner(mut self, owner: Owner) -> Self {
        self.owners.push(owner);
        self
    }

    /// The longest request line answered.
    pub(crate) fn request_line_limit(&self) -> usize {
        self.max_request_line.unwrap_or(DEFAULT_MAX_REQUEST_LINE)
    }

    /// The page size of 2026-09 association batch reads.
    pub(crate) fn association_page(&self) -> usize {
        self.association_page_size
            .unwrap_or(ASSOCIATION_BATCH_READ_PAGE)
            .max(1)
    }

    /// The rules a 2026-09 write of the canonical type `otype` must pass.
    pub(crate) fn rules_for(&self, otype: &str) -> rules::Rules<'_> {
        rules::Rules::required(
            self.validation_rules
                .iter()
                .filter(|r| self.resolve_type(r.object_type().trim()).as_deref() == Some(otype))
                .collect(),
        )
    }

    /// The canonical type a path segment names: a standard type's plural name or a custom
    /// type's id (registered by id, by name or not at all).
    pub(crate) fn resolve_type(&self, raw: &str) -> Option<String> {
        if let Some(t) = schema::canonical_type(raw) {
            return Some(t);
        }
        let lower = raw.to_ascii_lowercase();
        let name = lower
            .strip_prefix('p')
            .and_then(|rest| {
                let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
                rest.strip_prefix('_')
            })
            .filter(|n| !n.is_empty());
        self.custom_types
            .iter()
            .find(|(_, n)| !n.is_empty() && (*n == lower || Some(n.as_str()) == name))
            .map(|(id, _)| id.clone())
    }

    /// Whether a custom type id was registered (and so is not capped).
    pub(crate) fn is_registered(&self, otype: &str) -> bool {
        self.custom_types.iter().any(|(id, _)| id == otype)
    }
}

/// One request as the sandbox received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path without the query, e.g. `/crm/v3/objects/leads`.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// The request body as text (invalid UTF-8 replaced by U+FFFD); `None` when the body
    /// was empty or could not be read, and when the request was answered without reading
    /// it: refused for the length of its URL (414), authentication (401) or a rate limit
    /// (429), answered by an injected proxy error ([`SandboxConfig::fail_rate`]) or dropped
    /// ([`SandboxConfig::drop_rate`]).
    /// Such requests are still logged, in arrival order. The body is read, and recorded,
    /// once a request has passed those checks (OAuth token requests: always).
    pub body: Option<String>,
    /// When the request arrived.
    pub at: Instant,
}

impl RecordedRequest {
    /// Bytes the log spends on this request beyond its fixed size.
    fn heap_bytes(&self) -> usize {
        self.method.len()
            + self.path.len()
            + self.query.as_ref().map_or(0, String::len)
            + self.body.as_ref().map_or(0, String::len)
    }
}

/// The request log: at most [`REQUEST_LOG_CAPACITY`] requests and [`REQUEST_LOG_BYTES`]
/// bytes of their text, oldest dropped first.
#[derive(Debug)]
pub(crate) struct RequestLog {
    /// Requests by arrival, each with its sequence number (to add its body later).
    entries: VecDeque<(u64, RecordedRequest)>,
    next_seq: u64,
    bytes: usize,
    max_entries: usize,
    max_bytes: usize,
}

impl RequestLog {
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        RequestLog {
            entries: VecDeque::new(),
            next_seq: 0,
            bytes: 0,
            max_entries,
            max_bytes,
        }
    }

    /// Records a request, dropping the oldest ones to stay within both bounds. A request
    /// larger than the byte bound on its own is kept alone. Returns its sequence number for
    /// [`RequestLog::set_body`].
    pub fn push(&mut self, r: RecordedRequest) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let size = r.heap_bytes();
        while !self.entries.is_empty()
            && (self.entries.len() >= self.max_entries || self.bytes + size > self.max_bytes)
        {
            self.pop_oldest();
        }
        if self.max_entries > 0 {
            self.bytes += size;
            self.entries.push_back((seq, r));
        }
        seq
    }

    /// Adds the body of a request recorded at arrival (the body is read after the request is
    /// logged, so that the log stays in arrival order), then drops the oldest requests to
    /// stay within the byte bound. Nothing happens if the request was dropped meanwhile.
    pub fn set_body(&mut self, seq: u64, body: String) {
        let Ok(i) = self.entries.binary_search_by_key(&seq, |(s, _)| *s) else {
            return;
        };
        let entry = &mut self.entries[i].1;
        let old = entry.heap_bytes();
        entry.body = Some(body);
        self.bytes = self.bytes - old + entry.heap_bytes();
        while self.entries.len() > 1 && self.bytes > self.max_bytes {
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) {
        if let Some((_, old)) = self.entries.pop_front() {
            self.bytes -= old.heap_bytes();
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &RecordedRequest> {
        self.entries.iter().map(|(_, r)| r)
    }
}

/// How an OAuth access token fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenState {
    Valid,
    Expired,
    Unknown,
}

/// Issued OAuth access tokens. Expired ones are pruned once they have been expired for
/// [`OAUTH_EXPIRED_TOKEN_MEMORY`], and at most [`OAUTH_TOKEN_CAPACITY`] are kept (the
/// oldest go first), so that refreshing in a loop cannot grow the sandbox. `Debug` shows
/// only the count: the tokens are credentials.
pub(crate) struct TokenStore {
    expiry: HashMap<String, Instant>,
    /// Tokens in the order they were issued; with one lifetime per sandbox, that is also
    /// the order in which they expire.
    order: VecDeque<String>,
    capacity: usize,
    memory: Duration,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore")
            .field("tokens", &self.expiry.len())
            .finish_non_exhaustive()
    }
}

impl TokenStore {
    pub fn new(capacity: usize, memory: Duration) -> Self {
        TokenStore {
            expiry: HashMap::new(),
            order: VecDeque::new(),
            capacity,
            memory,
        }
    }

    /// Remembers a new token valid until `expires`, pruning as it goes.
    pub fn issue(&mut self, token: String, expires: Instant, now: Instant) {
        self.prune(now);
        while self.order.len() >= self.capacity.max(1) {
            self.forget_oldest();
        }
        if self.expiry.insert(token.clone(), expires).is_none() {
            self.order.push_back(token);
        }
    }

    /// Drops tokens that have been expired for longer than the memory.
    fn prune(&mut self, now: Instant) {
        while let Some(first) = self.order.front() {
            let gone = self
                .expiry
                .get(first)
                .is_none_or(|e| now.saturating_duration_since(*e) > self.memory);
            if !gone {
                break;
            }
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some(t) = self.order.pop_front() {
            self.expiry.remove(&t);
        }
    }

    pub fn check(&self, token: &str, now: Instant) -> TokenState {
        match self.expiry.get(token) {
            Some(e) if *e > now => TokenState::Valid,
            Some(_) => TokenState::Expired,
            None => TokenState::Unknown,
        }
    }

    /// How many tokens are kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.expiry.len()
    }
}

/// State shared by all connections.
pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub store: Mutex<Store>,
    pub base_url: String,
    pub request_count: AtomicU64,
    /// Requests answered 429 by the emulated rate limits.
    pub rate_limited_count: AtomicU64,
    pub log: Mutex<RequestLog>,
    pub limits: limits::Limits,
    /// Issued OAuth access tokens and their expiry.
    pub tokens: Mutex<TokenStore>,
    /// Last `eventId` handed out by [`Sandbox::webhook_events`].
    pub event_ids: AtomicU64,
    /// Sends webhooks; made on first use.
    pub webhook_client: std::sync::OnceLock<reqwest::Client>,
    /// The account's property validation rules (changed by the API's PUT).
    pub property_validations: Mutex<property_validations::Account>,
}

/// A running sandbox server. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("addr", &self.addr).finish()
    }
}

impl Sandbox {
    /// Starts a sandbox on a free port of 127.0.0.1, served by the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts a sandbox on `addr`.
    pub async fn start_on(config: SandboxConfig, addr: SocketAddr) -> std::io::Result<Sandbox> {
        let unique = config.resolved_unique_properties()?;
        let validations = property_validations::Account::from_config(&config)?;
        let owners = owners::AccountOwners::new(config.owners.clone())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let mut store = Store::new(
            config
                .max_custom_types
                .unwrap_or(store::DEFAULT_MAX_CUSTOM_TYPES),
            &unique,
        );
        store.owners = Arc::new(owners);
        store
            .schemas
            .register_configured(&config.custom_types, chrono::Utc::now());
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            limits: limits::Limits::new(&config),
            store: Mutex::new(store),
            base_url: format!("http://{addr}"),
            request_count: AtomicU64::new(0),
            rate_limited_count: AtomicU64::new(0),
            log: Mutex::new(RequestLog::new(REQUEST_LOG_CAPACITY, REQUEST_LOG_BYTES)),
            tokens: Mutex::new(TokenStore::new(
                OAUTH_TOKEN_CAPACITY,
                OAUTH_EXPIRED_TOKEN_MEMORY,
            )),
            event_ids: AtomicU64::new(webhook::FIRST_EVENT_ID - 1),
            webhook_client: std::sync::OnceLock::new(),
            property_validations: Mutex::new(validations),
            config,
        });
        let router = api::router(shared.clone());
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, shared.clone(), router, stop_rx));
        tracing::debug!(%addr, "hubspot sandbox listening");
        Ok(Sandbox {
            addr,
            shared,
            stop,
            task: Some(task),
        })
    }

    /// The canonical type `raw` names: as configured, or a created schema's name.
    fn resolve_type(&self, raw: &str) -> Option<String> {
        self.shared
            .config
            .resolve_type(raw)
            .or_else(|| lock(&self.shared.store).schemas.resolve(raw))
    }

    /// Base URL to point a client at, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests received so far, including rejected, failed and dropped ones.
    pub fn request_count(&self) -> u64 {
        self.shared.request_count.load(Ordering::Relaxed)
    }

    /// Requests answered 429 so far by the rate limits ([`SandboxConfig::rate_limit`],
    /// [`SandboxConfig::search_rate_limit`], [`SandboxConfig::daily_limit`]).
    pub fn rate_limited_count(&self) -> u64 {
        self.shared.rate_limited_count.load(Ordering::Relaxed)
    }

    /// The most recent requests (up to [`REQUEST_LOG_CAPACITY`] of them and
    /// [`REQUEST_LOG_BYTES`] of their text, bodies included), oldest first.
    pub fn request_log(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).iter().cloned().collect()
    }

    /// Creates `count` leads named `Lead 1` … `Lead N` directly in the store, each
    /// associated with `contact_id` as its primary contact (when that contact exists).
    /// Returns their ids in creation order.
    pub fn seed_leads(&self, contact_id: &str, count: usize) -> Vec<String> {
        let mut store = lock(&self.shared.store);
        let contact = contact_id
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|id| store.live("contacts", *id).is_some());
        (1..=count)
            .map(|n| {
                let id = store.insert("leads", vec![("hs_lead_name".into(), format!("Lead {n}"))]);
                if let Some(c) = contact {
                    store.associate(
                        id,
                        c,
                        schema::Category::Hubspot,
                        schema::LEAD_PRIMARY_CONTACT,
                    );
                }
                id.to_string()
            })
            .collect()
    }

    /// Creates a contact directly in the store (no validation) and returns its id.
    pub fn seed_contact(&self, properties: Value) -> String {
        self.seed_object("contacts", properties)
    }

    /// Creates an object of any type directly in the store (no validation) and returns its
    /// id. `object_type` is a type name or id as in a path (`deals`, `0-5`, `2-1234567`);
    /// seeding bypasses the custom type cap. Non-string values are stored as their JSON text.
    pub fn seed_object(&self, object_type: &str, properties: Value) -> String {
        let otype = self
            .resolve_type(object_type)
            .unwrap_or_else(|| object_type.to_string());
        let props = match properties {
            Value::Object(m) => m
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (k, v)
                })
                .collect(),
            _ => Vec::new(),
        };
        lock(&self.shared.store).insert(&otype, props).to_string()
    }

    /// Takes an archived object out of the recycle bin, as a user can in HubSpot (the API
    /// has no restore): it is live again, keeps its properties and associations, and its
    /// `hs_lastmodifieddate` is the restore's time. `object_type` is a type name or id as in
    /// a path. Returns `false`, changing nothing, when there is no such archived object or
    /// a live record has taken one of its unique values meanwhile.
    pub fn restore(&self, object_type: &str, id: &str) -> bool {
        let Some(otype) = self.resolve_type(object_type.trim()) else {
            return false;
        };
        let Ok(id) = id.trim().parse() else {
            return false;
        };
        lock(&self.shared.store).restore(&otype, id).is_ok()
    }

    /// How many live (not archived) objects of `object_type` (a type name or id as in a
    /// path) the store holds; 0 for an unknown type.
    pub fn live_count(&self, object_type: &str) -> usize {
        let Some(otype) = self.resolve_type(object_type.trim()) else {
            return 0;
        };
        lock(&self.shared.store)
            .type_store_ref(&otype)
            .map_or(0, |store| {
                store
                    .objects
                    .values()
                    .filter(|o| o.archived_at.is_none())
                    .count()
            })
    }

    /// Associates two existing objects (and the reverse) with a HubSpot-defined type id,
    /// bypassing validation.
    pub fn seed_association(&self, from_id: &str, to_id: &str, association_type_id: u32) {
        let (Ok(from), Ok(to)) = (from_id.trim().parse(), to_id.trim().parse()) else {
            return;
        };
        lock(&self.shared.store).associate(
            from,
            to,
            schema::Category::Hubspot,
            association_type_id,
        );
    }

    /// Stops accepting connections, lets open requests finish and waits for the server.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                conns.spawn(serve_conn(stream, shared.clone(), router.clone(), stop.clone()));
            }
            _ = stop.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    // Bounded wait so a stuck client cannot hang shutdown.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
}

async fn serve_conn(
    stream: tokio::net::TcpStream,
    shared: Arc<Shared>,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
) {
    let svc =
        hyper::service::service_fn(move |req| limits::handle(shared.clone(), router.clone(), req));
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_client_debug_redacts_its_secret_and_refresh_token() {
        let client = OAuthClient {
            client_id: "app-1".into(),
            client_secret: "very-secret".into(),
            refresh_token: "refresh-me".into(),
        };
        let printed = format!("{client:?} {client:#?}");
        assert!(!printed.contains("very-secret"), "{printed}");
        assert!(!printed.contains("refresh-me"), "{printed}");
        assert!(printed.contains("app-1") && printed.contains("<redacted>"));
    }

    #[test]
    fn issued_token_store_debug_shows_no_token() {
        let mut tokens = TokenStore::new(10, Duration::from_secs(60));
        let now = Instant::now();
        tokens.issue(
            "sandbox-oauth-abc".into(),
            now + Duration::from_secs(1),
            now,
        );
        let printed = format!("{tokens:?}");
        assert!(!printed.contains("sandbox-oauth-abc"), "{printed}");
    }

    #[test]
    fn expired_oauth_tokens_are_pruned_and_the_number_kept_is_capped() {
        let ttl = Duration::from_secs(1800);
        let memory = Duration::from_secs(3600);
        let mut tokens = TokenStore::new(5, memory);
        let t0 = Instant::now();
        let at = |secs: u64| t0 + Duration::from_secs(secs);
        tokens.issue("old".into(), at(0) + ttl, at(0));
        assert_eq!(tokens.check("old", at(10)), TokenState::Valid);
        // Expired, but remembered for a while: 401 EXPIRED_AUTHENTICATION, not unknown.
        assert_eq!(tokens.check("old", at(1800)), TokenState::Expired);
        tokens.issue("newer".into(), at(1900) + ttl, at(1900));
        assert_eq!(tokens.len(), 2);
        // Once expired for longer than the memory, the next issue prunes it.
        tokens.issue("newest".into(), at(5401) + ttl, at(5401));
        assert_eq!(tokens.check("old", at(5401)), TokenState::Unknown);
        assert_eq!(tokens.len(), 2);
        // However fast tokens are issued, at most the capacity is kept, newest first.
        for i in 0..100 {
            tokens.issue(format!("burst-{i}"), at(6000) + ttl, at(6000));
            assert!(tokens.len() <= 5);
        }
        assert_eq!(tokens.len(), 5);
        assert_eq!(tokens.check("burst-99", at(6000)), TokenState::Valid);
        assert_eq!(tokens.check("burst-95", at(6000)), TokenState::Valid);
        assert_eq!(tokens.check("burst-94", at(6000)), TokenState::Unknown);
        assert_eq!(tokens.check("newest", at(6000)), TokenState::Unknown);
    }

    #[tokio::test]
    async fn the_token_endpoint_records_tokens_in_the_bounded_store() {
        let config = SandboxConfig::new().oauth_client("cid", "secret", "refresh");
        let sandbox = Sandbox::start(config).await.unwrap();
        let http = reqwest::Client::new();
        let mut last = String::new();
        for _ in 0..50 {
            let body: Value = http
                .post(format!("{}/oauth/v1/token", sandbox.base_url()))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", "cid"),
                    ("client_secret", "secret"),
                    ("refresh_token", "refresh"),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            last = body["access_token"].as_str().unwrap().to_string();
        }
        assert_eq!(lock(&sandbox.shared.tokens).len(), 50);
        // The sandbox's own store has the documented cap.
        assert_eq!(lock(&sandbox.shared.tokens).capacity, OAUTH_TOKEN_CAPACITY);
        let status = http
            .get(format!("{}/crm/v3/objects/leads", sandbox.base_url()))
            .bearer_auth(&last)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        sandbox.shutdown().await;
    }

    fn request(path_len: usize, query_len: usize) -> RecordedRequest {
        RecordedRequest {
            method: "GET".into(),
            path: "p".repeat(path_len),
            query: Some("q".repeat(query_len)),
            body: None,
            at: Instant::now(),
        }
    }

    #[test]
    fn request_log_is_bounded_in_entries_and_bytes() {
        let mut log = RequestLog::new(10, 1_000);
        for _ in 0..100 {
            log.push(request(7, 0));
        }
        assert_eq!(log.iter().count(), 10, "at most the capacity");
        // Long URLs: the byte bound drops the oldest first.
        for i in 0..20 {
            log.push(request(100, 200 + i));
            let bytes: usize = log.iter().map(RecordedRequest::heap_bytes).sum();
            assert!(bytes <= 1_000, "{bytes}");
            assert_eq!(bytes, log.bytes);
        }
        assert_eq!(
            log.iter().last().unwrap().query.as_ref().unwrap().len(),
            219,
            "the newest is kept"
        );
        // One request larger than the bound is kept alone.
        log.push(request(5_000, 0));
        assert_eq!(log.iter().count(), 1);
        log.push(request(7, 0));
        assert_eq!(log.iter().count(), 1);
        assert_eq!(log.iter().next().unwrap().path.len(), 7);
    }

    #[test]
    fn request_log_counts_bodies_added_after_arrival() {
        let mut log = RequestLog::new(10, 1_000);
        let first = log.push(request(10, 0));
        let second = log.push(request(10, 0));
        log.set_body(first, "b".repeat(300));
        assert_eq!(log.bytes, 2 * 13 + 300, "method, path and body");
        assert_eq!(
            log.iter().next().unwrap().body.as_deref().map(str::len),
            Some(300)
        );
        // A big body drops the oldest requests, the one it belongs to kept last.
        log.set_body(second, "b".repeat(900));
        assert_eq!(log.iter().count(), 1);
        assert_eq!(log.bytes, 913);
        let bytes: usize = log.iter().map(RecordedRequest::heap_bytes).sum();
        assert_eq!(bytes, log.bytes);
        // A body for a request already dropped changes nothing.
        log.set_body(first, "b".repeat(10));
        assert_eq!(log.bytes, 913);
        assert_eq!(log.iter().count(), 1);
    }
}

/// The README's example compiles.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
