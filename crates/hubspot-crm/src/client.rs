//! The client and its builder.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{OAuthRefresh, StaticToken, TokenProvider};
use crate::cache::KeyedCache;
use crate::error::{Error, Result};
use crate::limit::RateLimits;
use crate::model::{AssociationLabel, PropertyDefinitions};
use crate::retry::RetryPolicy;
use crate::transport::{Call, Shared};

/// HubSpot's API address.
pub const DEFAULT_BASE_URL: &str = "https://api.hubapi.com";

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
}

/// What a client learns of its account and keeps: association labels per pair of object
/// types, property definitions per object type.
#[derive(Debug, Default)]
pub(crate) struct Caches {
    pub(crate) labels: KeyedCache<(String, String), Arc<[AssociationLabel]>>,
    pub(crate) definitions: KeyedCache<String, Arc<PropertyDefinitions>>,
}

impl Client {
    /// A builder with HubSpot's defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from the environment: `HUBSPOT_ACCESS_TOKEN` (required) and, when set,
    /// `HUBSPOT_BASE_URL`.
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
        builder.build()
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
        self.transport.limits
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
    auth: Option<Arc<dyn TokenProvider>>,
    base_url: String,
    timeout: Duration,
    user_agent: String,
    http: Option<reqwest::Client>,
    retry: RetryPolicy,
    limits: RateLimits,
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
        }
    }
}

impl ClientBuilder {
    /// A private app's access token, or an OAuth access token, sent as `Authorization: Bearer`.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.auth = Some(Arc::new(StaticToken::new(token)));
        self
    }

    /// OAuth with a refresh token: access tokens are refreshed ahead of expiry.
    pub fn oauth(mut self, oauth: OAuthRefresh) -> Self {
        self.auth = Some(Arc::new(oauth));
        self
    }

    /// Any token source.
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.auth = Some(provider);
        self
    }

    /// Another API address (a proxy, a test server). Default `https://api.hubapi.com`.
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

    /// Builds the client; fails without a token or with a malformed base URL.
    pub fn build(self) -> Result<Client> {
        let auth = self.auth.ok_or_else(|| {
            Error::validation("access_token", "no access token or OAuth credentials given")
        })?;
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        match reqwest::Url::parse(&base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => {
                return Err(Error::validation(
                    "base_url",
                    format!("`{base_url}` is not an http(s) URL"),
                ));
            }
        }
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(self.timeout)
                .connect_timeout(self.timeout.min(Duration::from_secs(10)))
                .user_agent(self.user_agent)
                .build()
                .map_err(Error::Transport)?,
        };
        Ok(Client {
            transport: Arc::new(Shared::new(base_url, http, auth, self.retry, self.limits)),
            caches: Arc::default(),
        })
    }
}
