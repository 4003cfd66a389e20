//! Access tokens: a fixed private-app token, or OAuth with a refresh token.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::error::AuthError;

/// Longest access-token lifetime taken at its word (HubSpot's last 30 minutes).
const MAX_TOKEN_LIFETIME_SECS: u64 = 365 * 24 * 60 * 60;

/// A token that never shows in `Debug`, `Display` or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Secret(Arc::from(token.into()))
    }

    /// The token itself; only for building the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Supplies the bearer token for each request.
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A currently valid access token.
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>>;
}

/// A fixed token: a private app's access token, or an OAuth access token you manage.
#[derive(Clone, Debug)]
pub struct StaticToken(Secret);

impl StaticToken {
    /// Uses `token` for every request.
    pub fn new(token: impl Into<String>) -> Self {
        StaticToken(Secret::new(token))
    }
}

impl TokenProvider for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}

/// Tokens from a refresh, handed to [`OAuthRefresh::on_refresh`] so they can be persisted.
#[derive(Clone, Debug)]
pub struct RefreshedTokens {
    /// The new access token.
    pub access_token: Secret,
    /// The refresh token to use next time (HubSpot may rotate it).
    pub refresh_token: Secret,
    /// Lifetime of the access token.
    pub expires_in: Duration,
}

type RefreshCallback = Arc<dyn Fn(&RefreshedTokens) + Send + Sync>;

/// OAuth access tokens obtained with a refresh token (`POST /oauth/v1/token`), refreshed ahead
/// of `expires_in`, with one refresh shared by all concurrent requests.
///
/// Once HubSpot rejects the refresh token ([`AuthError::RefreshRejected`]), every later call
/// fails with that error without asking HubSpot again: build a new client with a new token.
///
/// ```no_run
/// use hubspot_crm::{Client, OAuthRefresh};
///
/// # async fn run() -> hubspot_crm::Result<()> {
/// let oauth = OAuthRefresh::new("client-id", "client-secret", "stored-refresh-token")
///     .on_refresh(|tokens| {
///         // Persist tokens.refresh_token.expose() for the next start.
///         let _ = tokens;
///     });
/// let client = Client::builder().oauth(oauth).build()?;
/// let lead = client.leads().get("123456").await?;
/// # let _ = lead; Ok(()) }
/// ```
pub struct OAuthRefresh {
    client_id: String,
    client_secret: Secret,
    token_url: String,
    refresh_margin: Duration,
    http: reqwest::Client,
    on_refresh: Option<RefreshCallback>,
    state: Mutex<OAuthState>,
    /// Refreshes finished, so that callers that queued behind a failed one share its error
    /// instead of each asking HubSpot again.
    refreshes_done: AtomicU64,
}

struct OAuthState {
    refresh_token: Secret,
    access: Option<AccessToken>,
    last_failure: Option<AuthError>,
    /// Set for good once HubSpot rejected the refresh token.
    rejected: Option<AuthError>,
}

struct AccessToken {
    token: Secret,
    expires_at: Instant,
    /// The lifetime HubSpot granted, when this client refreshed it.
    lifetime: Option<Duration>,
}

impl AccessToken {
    /// Whether the token is still good for `margin`. The margin is capped at half the token's
    /// lifetime, so that short-lived tokens are not refreshed on every call.
    fn fresh(&self, now: Instant, margin: Duration) -> bool {
        let margin = self
            .lifetime
            .map_or(margin, |lifetime| margin.min(lifetime / 2));
        now + margin < self.expires_at
    }
}

impl fmt::Debug for OAuthRefresh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthRefresh")
            .field("client_id", &self.client_id)
            .field("token_url", &self.token_url)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: u64,
}

#[derive(Deserialize)]
struct TokenError {
    message: Option<String>,
    status: Option<String>,
}

impl OAuthRefresh {
    /// HubSpot's token endpoint.
    pub const DEFAULT_TOKEN_URL: &'static str = "https://api.hubapi.com/oauth/v1/token";

    /// An OAuth app's credentials and a refresh token from the install flow.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        refresh_token: impl Into<String>,
    ) -> Self {
        OAuthRefresh {
            client_id: client_id.into(),
            client_secret: Secret::new(client_secret),
            token_url: Self::DEFAULT_TOKEN_URL.to_owned(),
            refresh_margin: Duration::from_secs(60),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            on_refresh: None,
            state: Mutex::new(OAuthState {
                refresh_token: Secret::new(refresh_token),
                access: None,
                last_failure: None,
                rejected: None,
            }),
            refreshes_done: AtomicU64::new(0),
        }
    }

    /// Starts with an access token you already have, valid for `expires_in`.
    pub fn with_access_token(self, access_token: impl Into<String>, expires_in: Duration) -> Self {
        let state = self.state.into_inner();
        OAuthRefresh {
            state: Mutex::new(OAuthState {
                access: Some(AccessToken {
                    token: Secret::new(access_token),
                    expires_at: Instant::now()
                        + expires_in.min(Duration::from_secs(MAX_TOKEN_LIFETIME_SECS)),
                    lifetime: None,
                }),
                ..state
            }),
            ..self
        }
    }

    /// Another token endpoint (a proxy, or a local sandbox).
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = url.into();
        self
    }

    /// How long before expiry to refresh (default 60 s; at most half a token's lifetime).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The HTTP client for the token endpoint (default: a 30 s timeout).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = client;
        self
    }

    /// Called with every new token pair, e.g. to store the rotated refresh token.
    pub fn on_refresh(
        mut self,
        callback: impl Fn(&RefreshedTokens) + Send + Sync + 'static,
    ) -> Self {
        self.on_refresh = Some(Arc::new(callback));
        self
    }

    async fn refresh(&self, state: &mut OAuthState) -> Result<Secret, AuthError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
            ("refresh_token", state.refresh_token.expose()),
        ];
        let response = self
            .http
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            .map_err(|e| AuthError::RefreshFailed(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| AuthError::RefreshFailed(e.without_url().to_string()))?;
        if !status.is_success() {
            let message = match serde_json::from_slice::<TokenError>(&body) {
                Ok(TokenError {
                    status: Some(code),
                    message: Some(message),
                }) => format!("{code}: {message}"),
                Ok(
                    TokenError {
                        message: Some(text),
                        ..
                    }
                    | TokenError {
                        status: Some(text), ..
                    },
                ) => text,
                _ => crate::error::truncate(&body),
            };
            // A timeout or a rate limit says nothing about the refresh token.
            let transient = matches!(status.as_u16(), 408 | 429);
            return Err(if status.is_client_error() && !transient {
                AuthError::RefreshRejected {
                    status: status.as_u16(),
                    message,
                }
            } else {
                AuthError::RefreshFailed(format!("HTTP {status}: {message}"))
            });
        }
        let tokens: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| AuthError::RefreshFailed(format!("unreadable token response: {e}")))?;
        let refreshed = RefreshedTokens {
            access_token: Secret::new(tokens.access_token),
            refresh_token: tokens
                .refresh_token
                .map(Secret::new)
                .unwrap_or_else(|| state.refresh_token.clone()),
            // Capped so an absurd `expires_in` cannot overflow the clock.
            expires_in: Duration::from_secs(tokens.expires_in.min(MAX_TOKEN_LIFETIME_SECS)),
        };
        state.refresh_token = refreshed.refresh_token.clone();
        state.access = Some(AccessToken {
            token: refreshed.access_token.clone(),
            expires_at: Instant::now() + refreshed.expires_in,
            lifetime: Some(refreshed.expires_in),
        });
        tracing::debug!(
            expires_in_secs = tokens.expires_in,
            "refreshed HubSpot access token"
        );
        if let Some(callback) = &self.on_refresh {
            callback(&refreshed);
        }
        Ok(refreshed.access_token)
    }
}

impl TokenProvider for OAuthRefresh {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        Box::pin(async move {
            let done_before = self.refreshes_done.load(Ordering::Acquire);
            // Holding the lock across the refresh makes concurrent callers wait for one refresh.
            let mut state = self.state.lock().await;
            if let Some(rejected) = &state.rejected {
                return Err(rejected.clone());
            }
            if let Some(access) = &state.access
                && access.fresh(Instant::now(), self.refresh_margin)
            {
                return Ok(access.token.clone());
            }
            if self.refreshes_done.load(Ordering::Acquire) != done_before
                && let Some(failure) = &state.last_failure
            {
                return Err(failure.clone());
            }
            let result = self.refresh(&mut state).await;
            self.refreshes_done.fetch_add(1, Ordering::Release);
            match result {
                Ok(token) => {
                    state.last_failure = None;
                    Ok(token)
                }
                Err(error) => {
                    if matches!(error, AuthError::RefreshRejected { .. }) {
                        state.rejected = Some(error.clone());
                    }
                    tracing::warn!(%error, "refreshing the HubSpot access token failed");
                    state.last_failure = Some(error.clone());
                    Err(error)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_margin_is_capped_at_half_the_lifetime() {
        let now = Instant::now();
        let margin = Duration::from_secs(60);
        let granted = |lifetime: u64| AccessToken {
            token: Secret::new("t"),
            expires_at: now + Duration::from_secs(lifetime),
            lifetime: Some(Duration::from_secs(lifetime)),
        };
        // HubSpot's 30 minutes: refreshed 60 s ahead.
        assert!(granted(1800).fresh(now + Duration::from_secs(1739), margin));
        assert!(!granted(1800).fresh(now + Duration::from_secs(1740), margin));
        // A 40 s token is used for its first 20 s, not refreshed on every call.
        assert!(granted(40).fresh(now + Duration::from_secs(19), margin));
        assert!(!granted(40).fresh(now + Duration::from_secs(20), margin));
        assert!(!granted(0).fresh(now, margin));
        // A token handed in from outside: the full margin.
        let given = AccessToken {
            lifetime: None,
            ..granted(40)
        };
        assert!(!given.fresh(now, margin));
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("pat-na1-123");
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
        let provider = StaticToken::new("pat-na1-123");
        assert!(!format!("{provider:?}").contains("pat-na1"));
        let oauth = OAuthRefresh::new("id", "client-secret-value", "refresh-value");
        let shown = format!("{oauth:?}");
        assert!(!shown.contains("client-secret-value") && !shown.contains("refresh-value"));
    }
}
