//! Access tokens: a fixed private-app token, or OAuth with a refresh token.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::error::{AuthError, ValidationError};
use crate::http::{BodyError, check_url, read_body, tls_backend};

/// Longest access-token lifetime taken at its word (HubSpot's last 30 minutes).
const MAX_TOKEN_LIFETIME_SECS: u64 = 365 * 24 * 60 * 60;

/// The longest answer read from the token endpoint (HubSpot's are a few hundred bytes); a
/// lower [`ClientBuilder::max_body_bytes`](crate::ClientBuilder::max_body_bytes) applies too.
pub(crate) const MAX_TOKEN_BODY_BYTES: u64 = 1024 * 1024;

/// The wall clock: unlike [`Instant`], it keeps running while the machine sleeps.
type WallClock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

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

    /// HubSpot answered 401 to a request sent with `token`. A provider that can get another
    /// token (an OAuth refresh) forgets this one and returns `true`: the request is then sent
    /// once more, with what [`token`](Self::token) gives next. The default returns `false`:
    /// the 401 is final.
    fn invalidate<'a>(&'a self, token: &'a Secret) -> BoxFuture<'a, bool> {
        let _ = token;
        Box::pin(async { false })
    }
}

/// A fixed token: a private app's access token, or an OAuth access token you manage.
#[derive(Clone, Debug)]
pub struct StaticToken(Secret);

impl StaticToken {
    /// Uses `token` for every request.
    pub fn new(token: impl Into<String>) -> Self {
        StaticToken(Secret::new(token))
    }

    pub(crate) fn from_secret(token: Secret) -> Self {
        StaticToken(token)
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
/// Expiry is checked on the monotonic clock and on the wall clock, so a token that expired
/// while the machine slept is not taken for fresh. When a refresh fails while the current
/// access token has not expired yet (inside the refresh margin), the call goes ahead with the
/// current token and a later call tries the refresh again. When HubSpot answers 401 to a
/// request, the token is refreshed and the request sent once more; a second 401 is final.
///
/// Once HubSpot rejects the refresh token ([`AuthError::RefreshRejected`]), it is not asked
/// again: the access token in hand is used until it expires, then every call fails with that
/// error. Build a new client with a new token.
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
    /// The longest token-endpoint answer read.
    max_body_bytes: u64,
    wall_clock: WallClock,
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
    /// The same moment on the wall clock. [`Instant`] may stop while the machine sleeps:
    /// after a suspend, an expired token would look fresh by it alone.
    expires_at_wall: SystemTime,
    /// The lifetime HubSpot granted, when this client refreshed it.
    lifetime: Option<Duration>,
}

impl AccessToken {
    fn new(token: Secret, lifetime: Duration, now: Instant, wall: SystemTime) -> Self {
        let lifetime = lifetime.min(Duration::from_secs(MAX_TOKEN_LIFETIME_SECS));
        AccessToken {
            token,
            expires_at: now + lifetime,
            expires_at_wall: wall.checked_add(lifetime).unwrap_or(wall),
            lifetime: Some(lifetime),
        }
    }

    /// Whether the token is still good for `margin`, by both clocks. The margin is capped at
    /// half the token's lifetime, so that short-lived tokens are not refreshed on every call.
    fn fresh(&self, now: Instant, wall: SystemTime, margin: Duration) -> bool {
        let margin = self
            .lifetime
            .map_or(margin, |lifetime| margin.min(lifetime / 2));
        now.checked_add(margin).is_some_and(|t| t < self.expires_at)
            && wall
                .checked_add(margin)
                .is_some_and(|t| t < self.expires_at_wall)
    }

    /// Whether the token has not expired yet, by both clocks.
    fn unexpired(&self, now: Instant, wall: SystemTime) -> bool {
        now < self.expires_at && wall < self.expires_at_wall
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
            http: tls_backend(reqwest::Client::builder())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            on_refresh: None,
            max_body_bytes: MAX_TOKEN_BODY_BYTES,
            wall_clock: Arc::new(SystemTime::now),
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
        let access = AccessToken {
            // Not granted to this client: the full margin applies.
            lifetime: None,
            ..AccessToken::new(
                Secret::new(access_token),
                expires_in,
                Instant::now(),
                (self.wall_clock)(),
            )
        };
        OAuthRefresh {
            state: Mutex::new(OAuthState {
                access: Some(access),
                ..state
            }),
            ..self
        }
    }

    /// Another token endpoint (a proxy, or a local sandbox): an http(s) URL without a query
    /// string, fragment or user name, checked by [`ClientBuilder::build`](crate::ClientBuilder::build)
    /// (an [`Error::Validation`](crate::Error::Validation) naming `token_url`).
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

    /// Checks the token URL, before any credentials are sent to it.
    pub(crate) fn check(&self) -> Result<(), ValidationError> {
        check_url("token_url", &self.token_url).map(drop)
    }

    /// Lowers the cap on the token endpoint's answers to `limit`.
    pub(crate) fn cap_body(&mut self, limit: u64) {
        self.max_body_bytes = self.max_body_bytes.min(limit);
    }

    #[cfg(test)]
    fn wall_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.wall_clock = Arc::new(clock);
        self
    }

    async fn refresh(&self, state: &mut OAuthState) -> Result<Secret, AuthError> {
        // Also when handed over as a plain `TokenProvider`, never past the builder's check.
        self.check()
            .map_err(|e| AuthError::RefreshFailed(e.to_string()))?;
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
        let body = read_body(response, self.max_body_bytes)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge => AuthError::RefreshFailed(format!(
                    "HTTP {status}: the token endpoint's answer is longer than the {}-byte cap",
                    self.max_body_bytes
                )),
                BodyError::Failed(e) => AuthError::RefreshFailed(e.without_url().to_string()),
            })?;
        let redactor = Redactor::new([
            self.client_secret.expose(),
            state.refresh_token.expose(),
            state.access.as_ref().map_or("", |a| a.token.expose()),
        ]);
        if !status.is_success() {
            let message = redactor.clean(&error_text(&body));
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
        let tokens: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
            AuthError::RefreshFailed(redactor.clean(&format!("unreadable token response: {e}")))
        })?;
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
        state.access = Some(AccessToken::new(
            refreshed.access_token.clone(),
            refreshed.expires_in,
            Instant::now(),
            (self.wall_clock)(),
        ));
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

/// What an error answer of the token endpoint says: HubSpot's JSON, or the whole body (a
/// proxy's page).
fn error_text(body: &[u8]) -> String {
    match serde_json::from_slice::<TokenError>(body) {
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
        _ => String::from_utf8_lossy(body).into_owned(),
    }
}

/// The longest part of a token endpoint's answer kept in an [`AuthError`], in characters.
const MAX_ERROR_CHARS: usize = 500;

/// Takes the credentials out of what the token endpoint answered: a proxy's error page may
/// show the form it was sent (client secret, refresh token), and any page an access token.
struct Redactor {
    /// Every credential, as it is and URL-encoded; longest first.
    forms: Vec<String>,
}

impl Redactor {
    fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut forms = Vec::new();
        for secret in secrets.into_iter().filter(|s| !s.is_empty()) {
            let encoded: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            forms.push(encoded.replace('+', "%20"));
            forms.push(encoded);
            forms.push(secret.to_owned());
        }
        forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
        forms.dedup();
        Redactor { forms }
    }

    /// `text` with every credential replaced by `[redacted]`, cut to [`MAX_ERROR_CHARS`];
    /// the cut comes after, so that it cannot leave part of a credential.
    fn clean(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for form in &self.forms {
            if text.contains(form.as_str()) {
                text = text.replace(form.as_str(), "[redacted]");
            }
        }
        match text.char_indices().nth(MAX_ERROR_CHARS) {
            Some((end, _)) => format!("{}…", &text[..end]),
            None => text,
        }
    }
}

impl TokenProvider for OAuthRefresh {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        Box::pin(async move {
            let done_before = self.refreshes_done.load(Ordering::Acquire);
            // Holding the lock across the refresh makes concurrent callers wait for one refresh.
            let mut state = self.state.lock().await;
            let (now, wall) = (Instant::now(), (self.wall_clock)());
            if let Some(access) = &state.access
                && access.fresh(now, wall, self.refresh_margin)
            {
                return Ok(access.token.clone());
            }
            // Inside the margin: the token still works if the refresh fails.
            let current = state
                .access
                .as_ref()
                .filter(|access| access.unexpired(now, wall))
                .map(|access| access.token.clone());
            if let Some(rejected) = &state.rejected {
                return current.ok_or_else(|| rejected.clone());
            }
            if self.refreshes_done.load(Ordering::Acquire) != done_before
                && let Some(failure) = &state.last_failure
            {
                return current.ok_or_else(|| failure.clone());
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
                    state.last_failure = Some(error.clone());
                    match current {
                        Some(token) => {
                            tracing::warn!(
                                %error,
                                "refreshing the HubSpot access token failed; using the current one until it expires"
                            );
                            Ok(token)
                        }
                        None => {
                            tracing::warn!(%error, "refreshing the HubSpot access token failed");
                            Err(error)
                        }
                    }
                }
            }
        })
    }

    fn invalidate<'a>(&'a self, token: &'a Secret) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let mut state = self.state.lock().await;
            if state.rejected.is_some() {
                return false;
            }
            if state.access.as_ref().is_some_and(|a| a.token == *token) {
                state.access = None;
            }
            true
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use httpmock::prelude::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn refresh_margin_is_capped_at_half_the_lifetime() {
        let now = Instant::now();
        let wall = SystemTime::now();
        let margin = Duration::from_secs(60);
        let granted = |lifetime: u64| {
            AccessToken::new(Secret::new("t"), Duration::from_secs(lifetime), now, wall)
        };
        let at = |secs: u64| {
            (
                now + Duration::from_secs(secs),
                wall + Duration::from_secs(secs),
            )
        };
        let fresh = |token: &AccessToken, (now, wall): (Instant, SystemTime)| {
            token.fresh(now, wall, margin)
        };
        // HubSpot's 30 minutes: refreshed 60 s ahead.
        assert!(fresh(&granted(1800), at(1739)));
        assert!(!fresh(&granted(1800), at(1740)));
        // A 40 s token is used for its first 20 s, not refreshed on every call.
        assert!(fresh(&granted(40), at(19)));
        assert!(!fresh(&granted(40), at(20)));
        assert!(!fresh(&granted(0), at(0)));
        // A token handed in from outside: the full margin.
        let given = AccessToken {
            lifetime: None,
            ..granted(40)
        };
        assert!(!fresh(&given, at(0)));
    }

    #[test]
    fn a_token_expired_by_the_wall_clock_is_not_fresh_though_the_monotonic_clock_stopped() {
        let now = Instant::now();
        let wall = SystemTime::now();
        let token = AccessToken::new(Secret::new("t"), Duration::from_secs(1800), now, wall);
        let margin = Duration::from_secs(60);
        assert!(token.fresh(now, wall, margin));
        // The machine slept an hour: the monotonic clock did not move, the wall clock did.
        let woke = wall + Duration::from_secs(3600);
        assert!(!token.fresh(now, woke, margin));
        assert!(!token.unexpired(now, woke));
        // And the other way round (a clock set back): the monotonic clock still decides.
        assert!(!token.fresh(now + Duration::from_secs(3600), wall, margin));
    }

    /// A wall clock `offset` seconds ahead of the real one, moved by the test.
    fn shifted_clock() -> (
        Arc<AtomicU64>,
        impl Fn() -> SystemTime + Send + Sync + 'static,
    ) {
        let offset = Arc::new(AtomicU64::new(0));
        let clock = {
            let offset = offset.clone();
            move || SystemTime::now() + Duration::from_secs(offset.load(Ordering::SeqCst))
        };
        (offset, clock)
    }

    #[tokio::test]
    async fn a_token_that_expired_during_a_suspend_is_refreshed() {
        let server = MockServer::start_async().await;
        let endpoint = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/oauth/v1/token")
                    .form_urlencoded_tuple("refresh_token", "refresh-1");
                then.status(200).json_body(serde_json::json!({
                    "access_token": "access-2",
                    "refresh_token": "refresh-2",
                    "expires_in": 1800
                }));
            })
            .await;
        let (offset, clock) = shifted_clock();
        let oauth = OAuthRefresh::new("id", "secret", "refresh-1")
            .token_url(server.url("/oauth/v1/token"))
            .wall_clock(clock)
            .with_access_token("access-1", Duration::from_secs(1800));

        assert_eq!(oauth.token().await.unwrap().expose(), "access-1");
        // A laptop lid closed for two hours: `Instant` may not have moved, the wall clock did.
        offset.store(2 * 3600, Ordering::SeqCst);
        assert_eq!(oauth.token().await.unwrap().expose(), "access-2");
        assert_eq!(endpoint.calls_async().await, 1);
    }

    #[tokio::test]
    async fn a_token_answer_over_the_cap_is_a_refresh_failure() {
        let server = MockServer::start_async().await;
        let endpoint = server
            .mock_async(|when, then| {
                when.method(POST).path("/oauth/v1/token");
                then.status(200).body(vec![b' '; 4096]);
            })
            .await;
        let mut oauth =
            OAuthRefresh::new("id", "secret", "refresh-1").token_url(server.url("/oauth/v1/token"));
        oauth.cap_body(1024);

        let error = oauth.token().await.unwrap_err();

        let AuthError::RefreshFailed(message) = &error else {
            panic!("expected RefreshFailed, got {error:?}");
        };
        assert!(
            message.contains("longer than the 1024-byte cap"),
            "{message}"
        );
        assert_eq!(endpoint.calls_async().await, 1);
    }

    #[tokio::test]
    async fn credentials_are_never_sent_to_a_token_url_with_a_query() {
        let server = MockServer::start_async().await;
        let endpoint = server
            .mock_async(|when, then| {
                when.any_request();
                then.status(500);
            })
            .await;
        // Handed over as a plain provider, past the builder's check.
        let oauth = OAuthRefresh::new("id", "secret", "refresh-1")
            .token_url(format!("{}?log=all", server.url("/oauth/v1/token")));

        let error = oauth.token().await.unwrap_err();

        let AuthError::RefreshFailed(message) = &error else {
            panic!("expected RefreshFailed, got {error:?}");
        };
        assert!(message.contains("token_url"), "{message}");
        assert_eq!(endpoint.calls_async().await, 0);
    }

    #[tokio::test]
    async fn hubspots_json_error_naming_the_refresh_token_keeps_no_credential() {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path("/oauth/v1/token");
                then.status(400).json_body(serde_json::json!({
                    "status": "BAD_REFRESH_TOKEN",
                    "message": "refresh token na1-refresh-1 is unknown to app-secret-9f"
                }));
            })
            .await;
        let oauth = OAuthRefresh::new("id", "app-secret-9f", "na1-refresh-1")
            .token_url(server.url("/oauth/v1/token"));

        let error = oauth.token().await.unwrap_err();

        let AuthError::RefreshRejected { status, message } = &error else {
            panic!("expected RefreshRejected, got {error:?}");
        };
        assert_eq!(*status, 400);
        assert_eq!(
            message,
            "BAD_REFRESH_TOKEN: refresh token [redacted] is unknown to [redacted]"
        );
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
