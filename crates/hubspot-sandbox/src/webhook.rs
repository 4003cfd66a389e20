//! Signed webhook requests as HubSpot sends them, for testing a webhook receiver.
//!
//! HubSpot signs each webhook request (a `POST` of a JSON list of events) with the app's
//! client secret:
//!
//! - v3: `X-HubSpot-Signature-v3` is base64(HMAC-SHA256(secret, method + URI + body +
//!   timestamp)), with the timestamp (milliseconds since the epoch, as a decimal string) in
//!   `X-HubSpot-Request-Timestamp`. Before signing, HubSpot decodes the percent-encoded
//!   characters `%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B` of the URI
//!   ([`v3_uri`]); receivers should reject requests older than 5 minutes.
//! - v1: `X-HubSpot-Signature` is hex(SHA-256(secret + body)), with
//!   `X-HubSpot-Signature-Version: v1` (what HubSpot sends with CRM webhooks, besides v3).
//! - v2: `X-HubSpot-Signature` is hex(SHA-256(secret + method + URI + body)), with
//!   `X-HubSpot-Signature-Version: v2`.
//!
//! [`Sandbox::send_webhook`] sends events signed like that; [`Sandbox::webhook_events`]
//! builds a realistic batch of events for records of the sandbox.

use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{Sandbox, lock, schema};

/// `portalId` of the events [`Sandbox::webhook_events`] builds.
pub const PORTAL_ID: u64 = 62_515;

/// `appId` of the events [`Sandbox::webhook_events`] builds.
pub const APP_ID: u64 = 54_321;

/// The first `eventId` a sandbox hands out; each event gets the next one.
pub const FIRST_EVENT_ID: u64 = 1_000_000_001;

/// How long [`Sandbox::send_webhook`] waits for the receiver's answer.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(30);

/// The older signature carried in `X-HubSpot-Signature`, named by
/// `X-HubSpot-Signature-Version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacySignature {
    /// hex(SHA-256(secret + body)).
    V1,
    /// hex(SHA-256(secret + method + URI + body)).
    V2,
}

/// How [`Sandbox::send_webhook_with`] signs a request. The default is what HubSpot sends
/// with CRM webhooks: the v3 signature with the current time, and the v1 signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookOptions {
    v3: bool,
    legacy: Option<LegacySignature>,
    timestamp_ms: Option<u64>,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        WebhookOptions {
            v3: true,
            legacy: Some(LegacySignature::V1),
            timestamp_ms: None,
        }
    }
}

impl WebhookOptions {
    /// HubSpot's signatures for CRM webhooks: v3 (timestamped now) and v1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether to send `X-HubSpot-Signature-v3` and `X-HubSpot-Request-Timestamp`.
    pub fn v3(mut self, send: bool) -> Self {
        self.v3 = send;
        self
    }

    /// Which signature to send in `X-HubSpot-Signature`, if any.
    pub fn legacy(mut self, signature: Option<LegacySignature>) -> Self {
        self.legacy = signature;
        self
    }

    /// The `X-HubSpot-Request-Timestamp` to sign and send (milliseconds since the epoch),
    /// instead of the current time: e.g. six minutes ago, to test that stale requests are
    /// refused.
    pub fn timestamp_millis(mut self, ms: u64) -> Self {
        self.timestamp_ms = Some(ms);
        self
    }
}

/// Characters HubSpot decodes in the URI before computing the v3 signature.
const V3_DECODED: &[(&str, char)] = &[
    ("3A", ':'),
    ("2F", '/'),
    ("3F", '?'),
    ("40", '@'),
    ("21", '!'),
    ("24", '$'),
    ("27", '\''),
    ("28", '('),
    ("29", ')'),
    ("2A", '*'),
    ("2C", ','),
    ("3B", ';'),
];

/// The URI as the v3 signature covers it: `uri` with the percent-encodings HubSpot decodes
/// first (`%3A` → `:`, `%2F` → `/`, `%3F` → `?`, `%40` → `@`, `%21` → `!`, `%24` → `$`,
/// `%27` → `'`, `%28` → `(`, `%29` → `)`, `%2A` → `*`, `%2C` → `,`, `%3B` → `;`, either
/// case) decoded; other encodings stay as they are.
pub fn v3_uri(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 3);
        match code.and_then(|c| {
            V3_DECODED
                .iter()
                .find(|(hex, _)| hex.eq_ignore_ascii_case(c))
        }) {
            Some((_, ch)) => {
                out.push(*ch);
                rest = &rest[at + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The v1 signature: hex(SHA-256(`client_secret` + `body`)).
pub fn signature_v1(client_secret: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(client_secret.as_bytes());
    h.update(body);
    hex(&h.finalize())
}

/// The v2 signature: hex(SHA-256(`client_secret` + `method` + `uri` + `body`)), the URI
/// exactly as called.
pub fn signature_v2(client_secret: &str, method: &str, uri: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    for part in [
        client_secret.as_bytes(),
        method.as_bytes(),
        uri.as_bytes(),
        body,
    ] {
        h.update(part);
    }
    hex(&h.finalize())
}

/// The v3 signature: base64(HMAC-SHA256(`client_secret`, `method` + URI + `body` +
/// `timestamp_ms`)), the URI being [`v3_uri`] of `uri` and the timestamp in decimal.
pub fn signature_v3(
    client_secret: &str,
    method: &str,
    uri: &str,
    body: &[u8],
    timestamp_ms: u64,
) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.as_bytes())
        .expect("HMAC takes keys of any length");
    for part in [
        method.as_bytes(),
        v3_uri(uri).as_bytes(),
        body,
        timestamp_ms.to_string().as_bytes(),
    ] {
        mac.update(part);
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A stable `subscriptionId` for a subscription type (HubSpot gives each subscription of an
/// app its own id).
fn subscription_id(subscription_type: &str) -> u64 {
    // FNV-1a: stable across runs and platforms, unlike the std hasher.
    let hash = subscription_type
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    1_000_000 + hash % 9_000_000
}

impl Sandbox {
    /// POSTs `events` (serialized as JSON) to `url`, signed with `client_secret` as HubSpot
    /// signs webhooks (see [`WebhookOptions::new`]): `X-HubSpot-Signature-v3` with
    /// `X-HubSpot-Request-Timestamp` (now, in milliseconds), `X-HubSpot-Signature` with
    /// `X-HubSpot-Signature-Version: v1`, and `Content-Type: application/json`. Returns the
    /// receiver's status code; errors are those of the request (connection refused,
    /// timeout after [`WEBHOOK_TIMEOUT`], an invalid URL).
    ///
    /// ```
    /// use hubspot_sandbox::{Sandbox, SandboxConfig, webhook};
    /// use serde_json::json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// // A receiver that checks the v3 signature.
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    /// let expected_url = url.clone();
    /// let receiver = axum::Router::new().route(
    ///     "/hooks",
    ///     axum::routing::post(move |headers: axum::http::HeaderMap, body: String| async move {
    ///         let header = |name: &str| headers[name].to_str().unwrap().to_string();
    ///         let timestamp: u64 = header("x-hubspot-request-timestamp").parse().unwrap();
    ///         let expected =
    ///             webhook::signature_v3("secret", "POST", &expected_url, body.as_bytes(), timestamp);
    ///         if header("x-hubspot-signature-v3") == expected {
    ///             axum::http::StatusCode::NO_CONTENT
    ///         } else {
    ///             axum::http::StatusCode::UNAUTHORIZED
    ///         }
    ///     }),
    /// );
    /// tokio::spawn(async move { axum::serve(listener, receiver).await });
    ///
    /// let sandbox = Sandbox::start(SandboxConfig::new()).await.unwrap();
    /// let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
    /// let events = sandbox.webhook_events("contact.creation", &[contact], None);
    /// assert_eq!(sandbox.send_webhook(&url, "secret", &events).await.unwrap(), 204);
    /// assert_eq!(sandbox.send_webhook(&url, "wrong", &events).await.unwrap(), 401);
    /// # sandbox.shutdown().await;
    /// # }
    /// ```
    pub async fn send_webhook(
        &self,
        url: &str,
        client_secret: &str,
        events: &Value,
    ) -> Result<u16, reqwest::Error> {
        self.send_webhook_with(url, client_secret, events, &WebhookOptions::new())
            .await
    }

    /// Like [`Sandbox::send_webhook`], with the signatures and timestamp `options` choose.
    /// The URI signed is `url` as the request calls it (after parsing: `http://host` is
    /// called, and signed, as `http://host/`).
    pub async fn send_webhook_with(
        &self,
        url: &str,
        client_secret: &str,
        events: &Value,
        options: &WebhookOptions,
    ) -> Result<u16, reqwest::Error> {
        let client = self.shared.webhook_client.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(WEBHOOK_TIMEOUT)
                .build()
                .unwrap_or_default()
        });
        let body = events.to_string();
        let mut req = client.post(url).build()?;
        let uri = req.url().as_str().to_string();
        let headers = req.headers_mut();
        let mut set = |name: &'static str, value: String| {
            if let Ok(v) = reqwest::header::HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        };
        set("content-type", "application/json".into());
        if options.v3 {
            let timestamp = options
                .timestamp_ms
                .unwrap_or_else(|| chrono::Utc::now().timestamp_millis().max(0) as u64);
            set(
                "x-hubspot-signature-v3",
                signature_v3(client_secret, "POST", &uri, body.as_bytes(), timestamp),
            );
            set("x-hubspot-request-timestamp", timestamp.to_string());
        }
        match options.legacy {
            Some(LegacySignature::V1) => {
                set(
                    "x-hubspot-signature",
                    signature_v1(client_secret, body.as_bytes()),
                );
                set("x-hubspot-signature-version", "v1".into());
            }
            Some(LegacySignature::V2) => {
                set(
                    "x-hubspot-signature",
                    signature_v2(client_secret, "POST", &uri, body.as_bytes()),
                );
                set("x-hubspot-signature-version", "v2".into());
            }
            None => {}
        }
        *req.body_mut() = Some(body.into());
        Ok(client.execute(req).await?.status().as_u16())
    }

    /// A batch of webhook events as HubSpot sends them, one per id of `object_ids`, for
    /// `subscription_type`: a legacy type (`contact.creation`, `deal.propertyChange`, ...)
    /// or a generic one (`object.creation`, `object.propertyChange`, `object.deletion`, ...),
    /// whose events also carry `objectTypeId` (`0-1`, `0-136`, `2-1234567`) for records the
    /// sandbox has.
    ///
    /// Each event has `eventId` (increasing from [`FIRST_EVENT_ID`]), `subscriptionId`
    /// (stable per subscription type), `portalId` ([`PORTAL_ID`]), `appId` ([`APP_ID`]),
    /// `occurredAt` (the record's last write in milliseconds, now for ids the sandbox does
    /// not have), `subscriptionType`, `attemptNumber` 0, `objectId`, and `changeSource`
    /// `CRM`. Creation and deletion events have `changeFlag` `NEW` and `DELETED`;
    /// property-change events have `propertyName` (`property`) and `propertyValue` (the
    /// record's current value, `""` if it has none). Ids that are not numbers are skipped.
    pub fn webhook_events<S: AsRef<str>>(
        &self,
        subscription_type: &str,
        object_ids: &[S],
        property: Option<&str>,
    ) -> Value {
        let action = subscription_type
            .split_once('.')
            .map_or(subscription_type, |(_, a)| a);
        let generic = subscription_type.starts_with("object.");
        let store = lock(&self.shared.store);
        let events: Vec<Value> = object_ids
            .iter()
            .filter_map(|id| id.as_ref().trim().parse::<u64>().ok())
            .map(|id| {
                let otype = store.type_of(id).map(str::to_string);
                let obj = otype.as_deref().and_then(|t| store.get(t, id));
                let occurred = obj.map_or_else(chrono::Utc::now, |o| o.updated_at);
                let event_id = self
                    .shared
                    .event_ids
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                    + 1;
                let mut e = json!({
                    "eventId": event_id,
                    "subscriptionId": subscription_id(subscription_type),
                    "portalId": PORTAL_ID,
                    "appId": APP_ID,
                    "occurredAt": occurred.timestamp_millis(),
                    "subscriptionType": subscription_type,
                    "attemptNumber": 0,
                    "objectId": id,
                    "changeSource": "CRM",
                });
                if generic && let Some(t) = &otype {
                    e["objectTypeId"] = json!(schema::type_id(t));
                }
                match action {
                    "creation" => e["changeFlag"] = json!("NEW"),
                    "deletion" => e["changeFlag"] = json!("DELETED"),
                    "propertyChange" => {
                        if let Some(p) = property {
                            e["propertyName"] = json!(p);
                            e["propertyValue"] = json!(obj.and_then(|o| o.get(p)).unwrap_or(""));
                        }
                    }
                    _ => {}
                }
                e
            })
            .collect();
        Value::Array(events)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::http::{HeaderMap, StatusCode, Uri};
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    use serde_json::{Value, json};
    use sha2::{Digest, Sha256};

    use super::{LegacySignature, WebhookOptions, signature_v1, signature_v2, v3_uri};
    use crate::{Sandbox, SandboxConfig};

    /// A request as the receiver got it: path and query, headers, raw body.
    type Received = (String, HeaderMap, String);

    /// A receiver answering 204 and keeping what it got; returns its base URL.
    async fn receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let keep = got.clone();
        let app = axum::Router::new().fallback(
            move |uri: Uri, headers: HeaderMap, body: String| async move {
                crate::lock(&keep).push((uri.to_string(), headers, body));
                StatusCode::NO_CONTENT
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, got)
    }

    fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
        headers.get(name).map(|v| v.to_str().unwrap())
    }

    // Computed here from the documented formulas, not with the crate's own functions.
    fn expected_v3(secret: &str, source: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(source.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }

    fn expected_sha256_hex(source: &str) -> String {
        Sha256::digest(source.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[tokio::test]
    async fn webhooks_carry_hubspot_signatures() {
        let (base, got) = receiver().await;
        let sandbox = Sandbox::start(SandboxConfig::new()).await.unwrap();
        let secret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
        let events =
            json!([{"eventId": 1, "subscriptionType": "contact.creation", "objectId": 123}]);
        let url = format!("{base}/hooks/hubspot?portal=1&from=a%3Ab");

        // Default: v3 timestamped now, and v1, as HubSpot sends CRM webhooks.
        let before = chrono::Utc::now().timestamp_millis();
        let status = sandbox.send_webhook(&url, secret, &events).await.unwrap();
        let after = chrono::Utc::now().timestamp_millis();
        assert_eq!(status, 204);
        let (path, headers, body) = crate::lock(&got).pop().unwrap();
        assert_eq!(path, "/hooks/hubspot?portal=1&from=a%3Ab");
        assert_eq!(body, events.to_string());
        assert_eq!(header(&headers, "content-type"), Some("application/json"));
        let timestamp = header(&headers, "x-hubspot-request-timestamp").unwrap();
        let ms: i64 = timestamp
            .parse()
            .expect("milliseconds as a decimal integer");
        assert!(
            (before..=after).contains(&ms),
            "{ms} not in {before}..={after}"
        );
        // HubSpot signs the URI with `%3A` decoded.
        let signed_uri = format!("{base}/hooks/hubspot?portal=1&from=a:b");
        assert_eq!(
            header(&headers, "x-hubspot-signature-v3"),
            Some(expected_v3(secret, &format!("POST{signed_uri}{body}{timestamp}")).as_str())
        );
        assert_eq!(header(&headers, "x-hubspot-signature-version"), Some("v1"));
        assert_eq!(
            header(&headers, "x-hubspot-signature"),
            Some(expected_sha256_hex(&format!("{secret}{body}")).as_str())
        );

        // A chosen (stale) timestamp, v3 only.
        let stale = (before - 6 * 60 * 1000) as u64;
        let options = WebhookOptions::new().legacy(None).timestamp_millis(stale);
        sandbox
            .send_webhook_with(&url, secret, &events, &options)
            .await
            .unwrap();
        let (_, headers, body) = crate::lock(&got).pop().unwrap();
        assert_eq!(
            header(&headers, "x-hubspot-request-timestamp"),
            Some(stale.to_string().as_str())
        );
        assert_eq!(
            header(&headers, "x-hubspot-signature-v3"),
            Some(expected_v3(secret, &format!("POST{signed_uri}{body}{stale}")).as_str())
        );
        assert!(headers.get("x-hubspot-signature").is_none());
        assert!(headers.get("x-hubspot-signature-version").is_none());

        // v2 only: secret + method + URI (as called) + body.
        let options = WebhookOptions::new()
            .v3(false)
            .legacy(Some(LegacySignature::V2));
        sandbox
            .send_webhook_with(&url, secret, &events, &options)
            .await
            .unwrap();
        let (_, headers, body) = crate::lock(&got).pop().unwrap();
        assert_eq!(header(&headers, "x-hubspot-signature-version"), Some("v2"));
        assert_eq!(
            header(&headers, "x-hubspot-signature"),
            Some(expected_sha256_hex(&format!("{secret}POST{url}{body}")).as_str())
        );
        assert!(headers.get("x-hubspot-signature-v3").is_none());
        assert!(headers.get("x-hubspot-request-timestamp").is_none());

        // A bare host is called, and signed, with its path `/`.
        sandbox.send_webhook(&base, secret, &events).await.unwrap();
        let (path, headers, body) = crate::lock(&got).pop().unwrap();
        assert_eq!(path, "/");
        let timestamp = header(&headers, "x-hubspot-request-timestamp").unwrap();
        assert_eq!(
            header(&headers, "x-hubspot-signature-v3"),
            Some(expected_v3(secret, &format!("POST{base}/{body}{timestamp}")).as_str())
        );

        // No receiver: the request's error.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}/", l.local_addr().unwrap())
        };
        assert!(
            sandbox
                .send_webhook(&closed, secret, &events)
                .await
                .is_err()
        );
        sandbox.shutdown().await;
    }

    #[test]
    fn signatures_match_hubspots_documented_examples() {
        let secret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
        let body = r#"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#;
        assert_eq!(
            signature_v1(secret, body.as_bytes()),
            "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
        );
        assert_eq!(
            signature_v2(secret, "GET", "https://www.example.com/webhook_uri", b""),
            "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
        );
    }

    #[test]
    fn the_v3_uri_decodes_only_the_characters_hubspot_decodes() {
        assert_eq!(
            v3_uri("https://x.test/a%2Fb?q=%3a%3F%40%21%24%27%28%29%2A%2C%3B&s=%20%25%2"),
            "https://x.test/a/b?q=:?@!$'()*,;&s=%20%25%2"
        );
        assert_eq!(v3_uri("%"), "%");
        assert_eq!(v3_uri("%é%3A"), "%é:");
    }

    #[tokio::test]
    async fn webhook_events_describe_records_of_the_sandbox() {
        let sandbox = Sandbox::start(SandboxConfig::new()).await.unwrap();
        let contact = sandbox.seed_contact(json!({"email": "ada@example.com"}));
        let leads = sandbox.seed_leads(&contact, 2);
        let updated_at = {
            let store = crate::lock(&sandbox.shared.store);
            store
                .get("leads", leads[1].parse().unwrap())
                .unwrap()
                .updated_at
                .timestamp_millis()
        };

        let events = sandbox.webhook_events("object.propertyChange", &leads, Some("hs_lead_name"));
        let list = events.as_array().unwrap();
        assert_eq!(list.len(), 2);
        let e = &list[1];
        assert_eq!(e["subscriptionType"], "object.propertyChange");
        assert_eq!(e["objectTypeId"], "0-136");
        assert_eq!(e["objectId"], json!(leads[1].parse::<u64>().unwrap()));
        assert_eq!(e["propertyName"], "hs_lead_name");
        assert_eq!(e["propertyValue"], "Lead 2");
        assert_eq!(e["occurredAt"], json!(updated_at));
        assert_eq!(e["portalId"], super::PORTAL_ID);
        assert_eq!(e["appId"], super::APP_ID);
        assert_eq!(e["attemptNumber"], 0);
        assert_eq!(e["changeSource"], "CRM");
        assert_eq!(e["eventId"], json!(super::FIRST_EVENT_ID + 1));
        assert_eq!(list[0]["subscriptionId"], e["subscriptionId"]);
        assert!(e.get("changeFlag").is_none());

        let created = sandbox.webhook_events("contact.creation", &[contact.as_str(), "x"], None);
        let e = &created[0];
        assert_eq!(
            created.as_array().unwrap().len(),
            1,
            "ids that are not numbers are skipped"
        );
        assert_eq!(e["changeFlag"], "NEW");
        assert!(e.get("objectTypeId").is_none(), "legacy types have none");
        assert!(e.get("propertyName").is_none());
        assert_eq!(e["eventId"], json!(super::FIRST_EVENT_ID + 2));
        assert_ne!(e["subscriptionId"], events[0]["subscriptionId"]);
        let deleted: Value = sandbox.webhook_events("object.deletion", &[&contact], None);
        assert_eq!(deleted[0]["changeFlag"], "DELETED");
        assert_eq!(deleted[0]["objectTypeId"], "0-1");
        sandbox.shutdown().await;
    }
}
