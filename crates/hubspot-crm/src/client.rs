//! The client and its builder.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{OAuthRefresh, StaticToken, TokenProvider};
use crate::cache::KeyedCache;
use crate::error::{Error, Result};
use crate::http::{DEFAULT_MAX_BODY_BYTES, check_url, tls_backend};
use crate::limit::{Limiter, RateLimits};
use crate::model::{AssociationLabel, PropertyDefinitions};
use crate::owners::AccountOwners;
use crate::pipelines::AccountPipelines;
use crate::property_validations::ValidationRules;
use crate::retry::RetryPolicy;
use crate::schemas::SchemaIndex;
use crate::transport::{Call, Shared};
use crate::version::ApiVersion;

/// HubSpot's API address.
pub const DEFAULT_BASE_URL: &str = "https://api.hubapi.com";

/// The longest query string a read sends unless told otherwise
/// ([`ClientBuilder::max_query_length`]): well under HubSpot's URL limit (around 8-16 KB).
pub const DEFAULT_MAX_QUERY_LENGTH: usize = 7_000;

/// The shortest query-string budget accepted: room for a read's other parameters and a
/// property name.
const MIN_QUERY_LENGTH: usize = 1_024;

/// The longest query-string budget accepted: past 16 KiB HubSpot answers 414 whatever the
/// budget says.
const MAX_QUERY_LENGTH: usize = 16 * 1024;

/// A HubSpot CRM client. Cheap to clone; clones share the connection pool, the rate limiters
/// and the token.
///
/// ```no_run
/// # async fn run() -> hubspot_crm::Result<()> {
/// let client = hubspot_crm::Client::builder()
///     .access_token("pat-na1-...")
///     .build()?;
/// let lead = client.leads().get("123456").await?;
/// println!("{:?}", lead.property("hs_lead_name"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    transport: Arc<Shared>,
    caches: Arc<Caches>,
    version: ApiVersion,
    max_query_length: usize,
    account_checks: bool,
}

/// What a client learns of its account and keeps: association labels per pair of object
/// types, property definitions, property validation rules and pipelines per object type,
/// the owners, and the custom object types by name (one entry: the whole list of schemas is
/// read at once).
#[derive(Debug, Default)]
pub(crate) struct Caches {
    pub(crate) labels: KeyedCache<(String, String), Arc<[AssociationLabel]>>,
    pub(crate) definitions: KeyedCache<String, Arc<PropertyDefinitions>>,
    pub(crate) validation_rules: KeyedCache<String, Arc<ValidationRules>>,
    pub(crate) pipelines: KeyedCache<String, Arc<AccountPipelines>>,
    pub(crate) owners: KeyedCache<(), Arc<AccountOwners>>,
    pub(crate) schemas: KeyedCache<(), Arc<SchemaIndex>>,
}

impl Client {
    /// A builder with HubSpot's defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from the environment: `HUBSPOT_ACCESS_TOKEN` (required) and, when set,
    /// `HUBSPOT_BASE_URL` and `HUBSPOT_API_VERSION` (`v3`, the default, or `2026-09`; see
    /// [`ApiVersion`]).
    pub fn from_env() -> Result<Self> {
        let token = std::env::var("HUBSPOT_ACCESS_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| Error::validation("HUBSPOT_ACCESS_TOKEN", "is not set"))?;
        let mut builder = Client::builder().access_token(token);
        if let Some(url) = std::env::var("HUBSPOT_BASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            builder = builder.base_url(url);
        }
        builder.api_version(ApiVersion::from_env()?).build()
    }

    /// The HubSpot API version requests go to.
    pub fn api_version(&self) -> ApiVersion {
        self.version
    }

    /// The same client (connections, limiters, token and caches shared) speaking `version`:
    /// for moving one part of a program to another version, or reading back through one what
    /// was written through the other. The caches hold what either version read (labels,
    /// pipelines, owners, and property definitions, which 2026-09 sends without v3's display
    /// hints).
    pub fn with_api_version(&self, version: ApiVersion) -> Client {
        Client {
            version,
            ..self.clone()
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.transport.base_url
    }

    /// The HTTP client requests are sent with.
    pub fn http(&self) -> &reqwest::Client {
        &self.transport.http
    }

    /// The retry settings in force.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.transport.retry
    }

    /// The rate limits in force.
    pub fn rate_limits(&self) -> RateLimits {
        *self.transport.limiter.limits()
    }

    /// The longest answer body read, in bytes (see [`ClientBuilder::max_body_bytes`]).
    pub fn max_body_bytes(&self) -> u64 {
        self.transport.max_body_bytes
    }

    /// The longest query string a read sends, in bytes (see
    /// [`ClientBuilder::max_query_length`]).
    pub fn max_query_length(&self) -> usize {
        self.max_query_length
    }

    /// Whether writes are checked against the account ([`ClientBuilder::account_checks`]).
    pub fn account_checks(&self) -> bool {
        self.account_checks
    }

    pub(crate) fn caches(&self) -> &Caches {
        &self.caches
    }

    /// Starts one call: gets a token, and builds a generated module's client (its
    /// `Client::new_with_client`) around a transport that records what happens on the wire.
    pub(crate) async fn start_call<C>(
        &self,
        new_with_client: fn(&str, reqwest::Client, hubspot_crm_api::Hooks) -> C,
    ) -> Result<(Arc<Call>, C)> {
        let call = Call::start(&self.transport).await?;
        let api = new_with_client(self.base_url(), self.http().clone(), call.clone());
        Ok((call, api))
    }
}

/// Configures a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    auth: Option<AuthSource>,
    base_url: String,
    timeout: Duration,
    user_agent: String,
    http: Option<reqwest::Client>,
    retry: RetryPolicy,
    limits: RateLimits,
    max_body_bytes: u64,
    max_query_length: usize,
    version: ApiVersion,
    account_checks: bool,
    #[cfg(feature = "redis")]
    store: Option<crate::limit::redis::RedisStore>,
}

/// Where tokens come from; OAuth is kept apart until `build` checks it.
#[derive(Debug)]
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
enum AuthSource {
    /// A fixed token (kept to name the app's rate-limit keys), or any provider.
    Provider(Arc<dyn TokenProvider>, Option<crate::auth::Secret>),
    OAuth(Box<OAuthRefresh>),
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            auth: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(30),
            user_agent: concat!("hubspot-crm-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            http: None,
            retry: RetryPolicy::default(),
            limits: RateLimits::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_query_length: DEFAULT_MAX_QUERY_LENGTH,
            version: ApiVersion::default(),
            account_checks: false,
            #[cfg(feature = "redis")]
            store: None,
        }
    }
}

impl ClientBuilder {
    /// A private app's access token, or an OAuth access token, sent as `Authorization: Bearer`.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        let token = crate::auth::Secret::new(token);
        self.auth = Some(AuthSource::Provider(
            Arc::new(StaticToken::from_secret(token.clone())),
            Some(token),
        ));
        self
    }

    /// OAuth with a refresh token: access tokens are refreshed ahead of expiry, and once after
    /// a 401. Its token URL is checked by [`Self::build`].
    pub fn oauth(mut self, oauth: OAuthRefresh) -> Self {
        self.auth = Some(AuthSource::OAuth(Box::new(oauth)));
        self
    }

    /// Any token source.
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.auth = Some(AuthSource::Provider(provider, None));
        self
    }

    /// Another API address (a proxy, a test server): an http(s) URL, optionally with a path,
    /// without a query string, fragment or user name. Default `https://api.hubapi.com`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Timeout of each request attempt (default 30 s). Ignored with [`Self::http_client`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` header. Ignored with [`Self::http_client`].
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Your own `reqwest::Client` (its timeout and user agent apply).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Retry settings; [`RetryPolicy::disabled`] turns retries off.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Client-side rate limits; [`RateLimits::off`] turns them off.
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Keeps the rate-limit counts in Redis, shared with every other process of the same app,
    /// instead of in this process: together they keep to one window and one daily budget.
    /// What is counted is still [`Self::rate_limits`]. See [`RedisStore`](crate::RedisStore).
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn rate_limit_store(mut self, store: crate::limit::redis::RedisStore) -> Self {
        self.store = Some(store);
        self
    }

    /// The longest answer body the client reads, in bytes (default 64 MiB; HubSpot's largest
    /// answers are a few MB). A longer body is not read past the cap: the call fails with
    /// [`Error::BodyTooLarge`], or [`Error::OutcomeUnknown`] for a create HubSpot answered
    /// with a 2xx. Also caps the OAuth token endpoint's answers (at most 1 MiB).
    pub fn max_body_bytes(mut self, limit: u64) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The longest query string a read sends, in bytes as percent-encoded (default
    /// [`DEFAULT_MAX_QUERY_LENGTH`], 7,000; from 1,024 to 16,384). Reads by GET (get, list
    /// pages, list streams) send their `properties` and `propertiesWithHistory` in the query
    /// string, and HubSpot answers 414 past its URL limit (around 8-16 KB; accounts have
    /// hundreds of properties). A read whose lists would pass this budget sends the names
    /// that fit, then reads the rest of each record through batch reads (POST bodies have no
    /// such limit, 100 ids a request, 50 with history) and merges them into one record.
    /// Reads that fit send one request, as before.
    pub fn max_query_length(mut self, bytes: usize) -> Self {
        self.max_query_length = bytes;
        self
    }

    /// The HubSpot API version to speak (default [`ApiVersion::V3`], the API of HubSpot's
    /// leads guide). Every operation works on each version.
    ///
    /// ```
    /// use hubspot_crm::{ApiVersion, Client};
    ///
    /// let client = Client::builder()
    ///     .access_token("pat-na1-...")
    ///     .api_version(ApiVersion::V2026_09)
    ///     .build()?;
    /// assert_eq!(client.api_version(), ApiVersion::V2026_09);
    /// # Ok::<(), hubspot_crm::Error>(())
    /// ```
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.version = version;
        self
    }

    /// Checks every create, update and upsert (single and bulk, `unique_by` too) against
    /// what the account defines before sending it (default off): dropdown values among
    /// their options, a pipeline stage in the pipeline the write names (else in any of the
    /// type's pipelines), an owner among the account's active owners, and, on 2026-09 (whose
    /// writes HubSpot checks against the account's admin-configured rules), the property
    /// validation rules that can be checked here. A failure is [`Error::Validation`] naming
    /// the item and the property, before the first request; HubSpot would refuse the whole
    /// batch for it. The account's data is read once and cached per client (see
    /// [`Objects::with_account_checks`] for one handle); pipelines and owners only when a
    /// write names them. The token then needs the scopes to read them (schemas, owners and
    /// the object type's read scope): a read that fails fails the write, unsent.
    ///
    /// [`Objects::with_account_checks`]: crate::Objects::with_account_checks
    pub fn account_checks(mut self, on: bool) -> Self {
        self.account_checks = on;
        self
    }

    /// Builds the client; fails without a token, with a malformed base URL or OAuth token
    /// URL, with a zero body cap, a query-string budget outside 1,024..=16,384, or with rate
    /// limits that cannot work.
    pub fn build(self) -> Result<Client> {
        self.limits.check()?;
        let limiter = self.limiter()?;
        let auth = match self.auth {
            None => {
                return Err(Error::validation(
                    "access_token",
                    "no access token or OAuth credentials given",
                ));
            }
            Some(AuthSource::Provider(provider, _)) => provider,
            Some(AuthSource::OAuth(mut oauth)) => {
                oauth.check()?;
                oauth.cap_body(self.max_body_bytes);
                Arc::new(*oauth) as Arc<dyn TokenProvider>
            }
        };
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        check_url("base_url", &base_url)?;
        if self.max_body_bytes == 0 {
            return Err(Error::validation("max_body_bytes", "must be at least 1"));
        }
        if !(MIN_QUERY_LENGTH..=MAX_QUERY_LENGTH).contains(&self.max_query_length) {
            return Err(Error::validation(
                "max_query_length",
                format!(
                    "{} bytes is outside {MIN_QUERY_LENGTH}..={MAX_QUERY_LENGTH}: a read needs room for its other parameters, and HubSpot answers 414 past about 16 KB",
                    self.max_query_length
                ),
            ));
        }
        let http = match self.http {
            Some(http) => http,
            None => tls_backend(reqwest::Client::builder())
                .timeout(self.timeout)
                .connect_timeout(self.timeout.min(Duration::from_secs(10)))
                .user_agent(self.user_agent)
                .build()
                .map_err(Error::Transport)?,
        };
        Ok(Client {
            transport: Arc::new(Shared::new(
                base_url,
                http,
                auth,
                self.retry,
                limiter,
                self.max_body_bytes,
            )),
            caches: Arc::default(),
            version: self.version,
            max_query_length: self.max_query_length,
            account_checks: self.account_checks,
        })
    }
}

impl ClientBuilder {
    /// The limiter over the configured store.
    fn limiter(&self) -> Result<Limiter> {
        #[cfg(feature = "redis")]
        if let Some(store) = &self.store {
            let token = match &self.auth {
                Some(AuthSource::Provider(_, token)) => token.as_ref().map(|t| t.expose()),
                _ => None,
            };
            let shared = store.for_app(&self.limits, token)?;
            return Ok(Limiter::shared(
                self.limits,
                Arc::new(shared),
                store.on_unreachable_setting(),
            ));
        }
        Ok(Limiter::in_process(self.limits))
    }
}
