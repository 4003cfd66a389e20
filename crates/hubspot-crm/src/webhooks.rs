//! Receiving HubSpot webhooks: checking a request's signature, then reading its events.
//!
//! Nothing here depends on a web framework: give [`WebhookVerifier::verify`] the method, the
//! full URL HubSpot called, the headers and the raw body, then [`parse_events`] the same body.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::auth::Secret;
use hubspot_crm_api::RecordId;

/// The names of the headers HubSpot signs its requests with.
pub mod headers {
    /// The v3 signature: base64 of an HMAC-SHA256.
    pub const SIGNATURE_V3: &str = "X-HubSpot-Signature-v3";
    /// When HubSpot sent the request, in milliseconds since the Unix epoch (v3 only).
    pub const REQUEST_TIMESTAMP: &str = "X-HubSpot-Request-Timestamp";
    /// The v1 or v2 signature: hex of a SHA-256.
    pub const SIGNATURE: &str = "X-HubSpot-Signature";
    /// Which of v1 and v2 [`SIGNATURE`] holds.
    pub const SIGNATURE_VERSION: &str = "X-HubSpot-Signature-Version";
}

/// How old (or how far in the future) a v3 request may be: HubSpot's five minutes.
pub const WEBHOOK_MAX_AGE: Duration = Duration::from_secs(5 * 60);

/// The largest body [`parse_events`] reads: HubSpot sends at most 100 events a request, each
/// well under a kilobyte.
pub const WEBHOOK_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The longest timestamp header read: `u64::MAX` has 20 digits.
const MAX_TIMESTAMP_DIGITS: usize = 20;

/// How much of an unknown version header an error repeats.
const MAX_ECHOED_VERSION_CHARS: usize = 32;

/// The characters HubSpot decodes in the URI before signing it (v3), upper-case hex.
const V3_DECODED: [(&[u8; 2], char); 12] = [
    (b"3A", ':'),
    (b"2F", '/'),
    (b"3F", '?'),
    (b"40", '@'),
    (b"21", '!'),
    (b"24", '$'),
    (b"27", '\''),
    (b"28", '('),
    (b"29", ')'),
    (b"2A", '*'),
    (b"2C", ','),
    (b"3B", ';'),
];

/// Which HubSpot signature a request passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureVersion {
    /// `X-HubSpot-Signature`: hex SHA-256 of secret + body. No timestamp.
    V1,
    /// `X-HubSpot-Signature`: hex SHA-256 of secret + method + URI + body. No timestamp.
    V2,
    /// `X-HubSpot-Signature-v3`: base64 HMAC-SHA256 over method + URI + body + timestamp.
    V3,
}

impl fmt::Display for SignatureVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureVersion::V1 => "v1",
            SignatureVersion::V2 => "v2",
            SignatureVersion::V3 => "v3",
        })
    }
}

/// Why a webhook request was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The verifier was built with an empty client secret, with which anyone could sign.
    #[error("the webhook verifier has an empty client secret")]
    EmptySecret,
    /// Neither `X-HubSpot-Signature-v3` nor `X-HubSpot-Signature` was sent.
    #[error("the request carries no HubSpot signature header")]
    MissingSignature,
    /// A v3 signature came without `X-HubSpot-Request-Timestamp`.
    #[error("the request carries no X-HubSpot-Request-Timestamp header")]
    MissingTimestamp,
    /// `X-HubSpot-Request-Timestamp` is not a whole, non-negative number of milliseconds
    /// that fits in a `u64` (a float, a sign, spaces or letters are refused).
    #[error("X-HubSpot-Request-Timestamp is not a whole number of milliseconds")]
    InvalidTimestamp,
    /// The request was sent longer ago than the verifier's maximum age. A timestamp in
    /// seconds, read as milliseconds, lands here too (it dates from January 1970).
    #[error("the request is {age:?} old, more than the {max_age:?} allowed")]
    Stale {
        /// How old the request is.
        age: Duration,
        /// The verifier's maximum age.
        max_age: Duration,
    },
    /// The request is dated further in the future than the verifier's maximum age.
    #[error("the request is dated {ahead:?} in the future, more than the {max_age:?} allowed")]
    InFuture {
        /// How far ahead of this machine's clock.
        ahead: Duration,
        /// The verifier's maximum age, used as the allowance for clock skew too.
        max_age: Duration,
    },
    /// The signature does not match the request (or is not valid base64 or hex at all).
    #[error("the signature does not match the request")]
    BadSignature,
    /// A v1 or v2 signature, which the verifier was not told to accept.
    #[error("signature version {0} is not accepted")]
    VersionNotAccepted(SignatureVersion),
    /// `X-HubSpot-Signature` came with a version header other than `v1` or `v2` (or none); the
    /// value is repeated, cut to a few characters.
    #[error("unknown signature version {0:?}")]
    UnknownVersion(String),
    /// The body is larger than the limit given to [`parse_events_with_limit`].
    #[error("the body is {len} bytes, more than the {max} allowed")]
    BodyTooLarge {
        /// The body's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The body is not JSON.
    #[error("the body is not JSON: {0}")]
    InvalidJson(#[source] serde_json::Error),
    /// The body is JSON, but neither an array of events nor a single event object.
    #[error("the body is neither a JSON array of events nor an event object")]
    NotAnEventList,
}

impl WebhookError {
    /// A status to answer HubSpot with: 413 for a body too large, 400 for one that is not
    /// events, 500 for an empty secret (a configuration error) and 401 for the rest.
    pub fn status(&self) -> http::StatusCode {
        match self {
            WebhookError::EmptySecret => http::StatusCode::INTERNAL_SERVER_ERROR,
            WebhookError::BodyTooLarge { .. } => http::StatusCode::PAYLOAD_TOO_LARGE,
            WebhookError::InvalidJson(_) | WebhookError::NotAnEventList => {
                http::StatusCode::BAD_REQUEST
            }
            _ => http::StatusCode::UNAUTHORIZED,
        }
    }
}

/// Checks that a request comes from HubSpot, by the app's client secret.
///
/// Only v3 signatures are accepted unless [`accept_v1_v2`](Self::accept_v1_v2) says
/// otherwise. A request that carries a v3 signature is judged on it alone, whether or not
/// v1/v2 are accepted, so a failed v3 check cannot fall back to the weaker signature.
///
/// The client secret never shows in `Debug`.
///
/// A handler, as a web framework would call it:
///
/// ```
/// use hubspot_crm::{WebhookEventKind, WebhookVerifier, parse_events};
/// use reqwest::header::HeaderMap;
///
/// /// Answers HubSpot with a status code.
/// fn on_webhook(
///     verifier: &WebhookVerifier,
///     method: &str,
///     // Scheme, host, path and query as HubSpot called them: behind a proxy, rebuild it
///     // from `X-Forwarded-Proto`/`X-Forwarded-Host` and the public path.
///     full_url: &str,
///     headers: &HeaderMap,
///     body: &[u8],
/// ) -> u16 {
///     if let Err(error) = verifier.verify(method, full_url, headers, body) {
///         return error.status().as_u16();
///     }
///     let events = match parse_events(body) {
///         Ok(events) => events,
///         Err(error) => return error.status().as_u16(),
///     };
///     for event in &events {
///         match &event.kind {
///             WebhookEventKind::PropertyChange { name, value, .. } => {
///                 println!("{:?} {:?}: {name} = {value:?}", event.object_type, event.object_id);
///             }
///             WebhookEventKind::Creation => println!("created {:?}", event.object_id),
///             // Kept, with `event.raw`, so that nothing HubSpot sent is lost.
///             other => println!("{}: {other:?}", event.subscription_type),
///         }
///     }
///     200
/// }
///
/// let verifier = WebhookVerifier::new("the app's client secret");
/// let unsigned = on_webhook(
///     &verifier,
///     "POST",
///     "https://example.com/hubspot/webhook",
///     &HeaderMap::new(),
///     b"[]",
/// );
/// assert_eq!(unsigned, 401);
/// ```
#[derive(Clone, Debug)]
pub struct WebhookVerifier {
    secret: Secret,
    max_age: Duration,
    accept_v1_v2: bool,
}

impl WebhookVerifier {
    /// A verifier for the app whose client secret is `client_secret`.
    pub fn new(client_secret: impl Into<String>) -> Self {
        Self::from_secret(Secret::new(client_secret))
    }

    /// A verifier for a client secret already held as a [`Secret`].
    pub fn from_secret(client_secret: Secret) -> Self {
        WebhookVerifier {
            secret: client_secret,
            max_age: WEBHOOK_MAX_AGE,
            accept_v1_v2: false,
        }
    }

    /// How old a v3 request may be, and how far its timestamp may run ahead of this machine's
    /// clock; [`WEBHOOK_MAX_AGE`] (five minutes, HubSpot's advice) by default.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Also accepts v1 and v2 signatures (off by default). They carry no timestamp, so a
    /// recorded request can be replayed at any time and will still pass.
    pub fn accept_v1_v2(mut self, accept: bool) -> Self {
        self.accept_v1_v2 = accept;
        self
    }

    /// Checks a request against this machine's clock. `uri` is the full URL HubSpot called
    /// (`https://host/path?query`), as it was sent; `body` is the raw body, before any
    /// parsing. Read the body with a size limit first: this hashes all of it.
    ///
    /// Returns the version of the signature that passed.
    pub fn verify(
        &self,
        method: &str,
        uri: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<SignatureVersion, WebhookError> {
        self.verify_at(method, uri, headers, body, SystemTime::now())
    }

    /// [`verify`](Self::verify) as if the time were `now`.
    pub fn verify_at(
        &self,
        method: &str,
        uri: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<SignatureVersion, WebhookError> {
        let secret = self.secret.expose().as_bytes();
        if secret.is_empty() {
            return Err(WebhookError::EmptySecret);
        }
        if let Some(signature) = headers.get(headers::SIGNATURE_V3) {
            let signature = signature.to_str().map_err(|_| WebhookError::BadSignature)?;
            let timestamp = headers
                .get(headers::REQUEST_TIMESTAMP)
                .ok_or(WebhookError::MissingTimestamp)?
                .to_str()
                .map_err(|_| WebhookError::InvalidTimestamp)?;
            self.check_fresh(parse_timestamp(timestamp)?, now)?;
            return verify_v3(secret, method, uri, body, timestamp, signature);
        }
        let Some(signature) = headers.get(headers::SIGNATURE) else {
            return Err(WebhookError::MissingSignature);
        };
        let version = match headers
            .get(headers::SIGNATURE_VERSION)
            .map(|v| v.as_bytes())
        {
            Some(v) if v.eq_ignore_ascii_case(b"v1") => SignatureVersion::V1,
            Some(v) if v.eq_ignore_ascii_case(b"v2") => SignatureVersion::V2,
            other => {
                let shown = other.map(String::from_utf8_lossy).unwrap_or_default();
                let shown = shown.chars().take(MAX_ECHOED_VERSION_CHARS).collect();
                return Err(WebhookError::UnknownVersion(shown));
            }
        };
        if !self.accept_v1_v2 {
            return Err(WebhookError::VersionNotAccepted(version));
        }
        let expected = decode_hex_sha256(signature.as_bytes()).ok_or(WebhookError::BadSignature)?;
        let mut hash = Sha256::new();
        hash.update(secret);
        if version == SignatureVersion::V2 {
            // v2 signs the URI exactly as sent: HubSpot's decoding rule is v3's alone.
            hash.update(method.as_bytes());
            hash.update(uri.as_bytes());
        }
        hash.update(body);
        if bool::from(hash.finalize().as_slice().ct_eq(&expected)) {
            Ok(version)
        } else {
            Err(WebhookError::BadSignature)
        }
    }

    fn check_fresh(&self, timestamp_ms: u64, now: SystemTime) -> Result<(), WebhookError> {
        // u128 milliseconds: no overflow for any u64 timestamp or any Duration.
        let now_ms = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis());
        let sent_ms = u128::from(timestamp_ms);
        let window = self.max_age.as_millis();
        let max_age = self.max_age;
        if sent_ms <= now_ms {
            let age = now_ms - sent_ms;
            if age > window {
                return Err(WebhookError::Stale {
                    age: millis(age),
                    max_age,
                });
            }
        } else {
            let ahead = sent_ms - now_ms;
            if ahead > window {
                return Err(WebhookError::InFuture {
                    ahead: millis(ahead),
                    max_age,
                });
            }
        }
        Ok(())
    }
}

fn millis(ms: u128) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
}

/// Digits only: `str::parse` alone would take a leading `+`.
fn parse_timestamp(raw: &str) -> Result<u64, WebhookError> {
    if raw.is_empty()
        || raw.len() > MAX_TIMESTAMP_DIGITS
        || !raw.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(WebhookError::InvalidTimestamp);
    }
    raw.parse().map_err(|_| WebhookError::InvalidTimestamp)
}

fn verify_v3(
    secret: &[u8],
    method: &str,
    uri: &str,
    body: &[u8],
    timestamp: &str,
    signature: &str,
) -> Result<SignatureVersion, WebhookError> {
    let signature = BASE64
        .decode(signature)
        .map_err(|_| WebhookError::BadSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| WebhookError::BadSignature)?;
    mac.update(method.as_bytes());
    mac.update(decode_v3_uri(uri).as_bytes());
    mac.update(body);
    mac.update(timestamp.as_bytes());
    // verify_slice compares in constant time.
    mac.verify_slice(&signature)
        .map(|()| SignatureVersion::V3)
        .map_err(|_| WebhookError::BadSignature)
}

/// Decodes the escapes HubSpot decodes before signing (either hex case), in one pass so that
/// `%253A` stays `%253A`; every other escape is left as sent.
fn decode_v3_uri(uri: &str) -> Cow<'_, str> {
    if !uri.contains('%') {
        return Cow::Borrowed(uri);
    }
    let bytes = uri.as_bytes();
    let mut decoded = String::with_capacity(uri.len());
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = [
                bytes[i + 1].to_ascii_uppercase(),
                bytes[i + 2].to_ascii_uppercase(),
            ];
            if let Some((_, c)) = V3_DECODED.iter().find(|(code, _)| **code == hex) {
                // Slicing at `i` is safe: `%` is ASCII, so a char boundary.
                decoded.push_str(&uri[copied..i]);
                decoded.push(*c);
                i += 3;
                copied = i;
                continue;
            }
        }
        i += 1;
    }
    decoded.push_str(&uri[copied..]);
    Cow::Owned(decoded)
}

/// A 64-digit hex SHA-256 (either case) as bytes.
fn decode_hex_sha256(hex: &[u8]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex, &mut out).ok()?;
    Some(out)
}

/// Reads a webhook body (a JSON array of events, or a single event object) of at most
/// [`WEBHOOK_MAX_BODY_BYTES`]. Verify the signature first.
///
/// Every element becomes one event, in order: one HubSpot does not describe, or one that
/// cannot be read, is kept as [`WebhookEventKind::Unknown`] or [`WebhookEventKind::Malformed`]
/// rather than failing the others. HubSpot may deliver an event more than once and out of
/// order: `event_id` and `occurred_at` tell.
pub fn parse_events(body: &[u8]) -> Result<Vec<WebhookEvent>, WebhookError> {
    parse_events_with_limit(body, WEBHOOK_MAX_BODY_BYTES)
}

/// [`parse_events`] with another size limit, checked before parsing.
pub fn parse_events_with_limit(
    body: &[u8],
    max_body_bytes: usize,
) -> Result<Vec<WebhookEvent>, WebhookError> {
    if body.len() > max_body_bytes {
        return Err(WebhookError::BodyTooLarge {
            len: body.len(),
            max: max_body_bytes,
        });
    }
    match serde_json::from_slice(body).map_err(WebhookError::InvalidJson)? {
        Value::Array(items) => Ok(items.into_iter().map(WebhookEvent::from_json).collect()),
        single @ Value::Object(_) => Ok(vec![WebhookEvent::from_json(single)]),
        _ => Err(WebhookError::NotAnEventList),
    }
}

/// The kind of CRM object an event is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebhookObjectType {
    /// Contacts (`contact`, `0-1`).
    Contact,
    /// Companies (`company`, `0-2`).
    Company,
    /// Deals (`deal`, `0-3`).
    Deal,
    /// Tickets (`ticket`, `0-5`).
    Ticket,
    /// Products (`product`, `0-7`).
    Product,
    /// Line items (`line_item`, `0-8`).
    LineItem,
    /// Leads (`lead`, `0-136`).
    Lead,
    /// Any other type, as HubSpot named it: a type id such as `2-123456` (from
    /// `objectTypeId`), or a subscription prefix such as `conversation`.
    Other(String),
}

const KNOWN_OBJECT_TYPES: [(WebhookObjectType, &str, &str); 7] = [
    (WebhookObjectType::Contact, "contact", "0-1"),
    (WebhookObjectType::Company, "company", "0-2"),
    (WebhookObjectType::Deal, "deal", "0-3"),
    (WebhookObjectType::Ticket, "ticket", "0-5"),
    (WebhookObjectType::Product, "product", "0-7"),
    (WebhookObjectType::LineItem, "line_item", "0-8"),
    (WebhookObjectType::Lead, "lead", "0-136"),
];

impl WebhookObjectType {
    /// The type named by an `objectTypeId` such as `0-136`.
    pub fn from_type_id(type_id: &str) -> Self {
        KNOWN_OBJECT_TYPES
            .iter()
            .find(|(_, _, id)| *id == type_id)
            .map_or_else(|| Self::Other(type_id.to_owned()), |(t, _, _)| t.clone())
    }

    /// The type named by a legacy subscription prefix such as `contact` (any case).
    pub fn from_name(name: &str) -> Self {
        KNOWN_OBJECT_TYPES
            .iter()
            .find(|(_, n, _)| n.eq_ignore_ascii_case(name))
            .map_or_else(|| Self::Other(name.to_owned()), |(t, _, _)| t.clone())
    }

    /// HubSpot's type id (`0-1` for contacts), when known.
    pub fn type_id(&self) -> Option<&str> {
        match self {
            Self::Other(other) => other.contains('-').then_some(other.as_str()),
            known => KNOWN_OBJECT_TYPES
                .iter()
                .find(|(t, _, _)| t == known)
                .map(|(_, _, id)| *id),
        }
    }
}

/// One event of a webhook request. Fields HubSpot did not send are `None`; numbers sent as
/// strings are read as numbers.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WebhookEvent {
    /// `eventId`.
    pub event_id: Option<u64>,
    /// `subscriptionId`: the app's subscription that fired.
    pub subscription_id: Option<u64>,
    /// `portalId`: the HubSpot account.
    pub portal_id: Option<u64>,
    /// `appId`.
    pub app_id: Option<u64>,
    /// `occurredAt`: when it happened, in milliseconds since the Unix epoch.
    pub occurred_at: Option<u64>,
    /// `attemptNumber`: 0 for the first delivery, counting up on retries.
    pub attempt_number: Option<u32>,
    /// `subscriptionType` as sent, such as `contact.propertyChange` or `object.creation`; empty
    /// when it was missing.
    pub subscription_type: String,
    /// From `objectTypeId` where sent (generic `object.*` events), else from the
    /// subscription prefix.
    pub object_type: Option<WebhookObjectType>,
    /// `objectId`: the record the event is about.
    pub object_id: Option<RecordId>,
    /// `changeSource`, such as `CRM`, `API` or `IMPORT`.
    pub change_source: Option<String>,
    /// `changeFlag`, such as `NEW` or `DELETED`.
    pub change_flag: Option<String>,
    /// `sourceId`, such as `userId:123`.
    pub source_id: Option<String>,
    /// What happened, with the fields particular to it.
    pub kind: WebhookEventKind,
    /// The event exactly as sent.
    pub raw: Value,
}

/// What an event says happened.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum WebhookEventKind {
    /// `*.creation`.
    Creation,
    /// `*.deletion`.
    Deletion,
    /// `*.privacyDeletion`: deleted for privacy compliance (GDPR).
    PrivacyDeletion,
    /// `*.restore`: a deleted record restored.
    Restore,
    /// `*.propertyChange`.
    #[non_exhaustive]
    PropertyChange {
        /// `propertyName`.
        name: String,
        /// `propertyValue`, as text; `None` when HubSpot sent none.
        value: Option<String>,
    },
    /// `*.merge`: records merged into one.
    #[non_exhaustive]
    Merge {
        /// `primaryObjectId`: the record the others were merged into.
        primary_object_id: RecordId,
        /// `mergedObjectIds`: the records merged into it.
        merged_object_ids: Vec<RecordId>,
        /// `newObjectId`: the id of the merged record, when HubSpot gave it a new one.
        new_object_id: Option<RecordId>,
        /// `numberOfPropertiesMoved`.
        number_of_properties_moved: Option<u64>,
    },
    /// `*.associationChange`: an association added or removed.
    #[non_exhaustive]
    AssociationChange {
        /// `fromObjectId`.
        from_object_id: RecordId,
        /// `toObjectId`.
        to_object_id: RecordId,
        /// `associationRemoved`: `true` when removed, `false` when added.
        removed: bool,
        /// `associationType`, such as `CONTACT_TO_COMPANY` (legacy events).
        association_type: Option<String>,
        /// `isPrimaryAssociation`.
        is_primary: Option<bool>,
        /// `fromObjectTypeId`, such as `0-1` (generic events).
        from_object_type_id: Option<String>,
        /// `toObjectTypeId`.
        to_object_type_id: Option<String>,
        /// `associationTypeId`.
        association_type_id: Option<u64>,
        /// `associationCategory`, such as `HUBSPOT_DEFINED`.
        association_category: Option<String>,
    },
    /// A well-formed event of a type not described here; see [`WebhookEvent::raw`].
    Unknown {
        /// `subscriptionType` as sent.
        subscription_type: String,
    },
    /// An event that could not be read: not an object, no `subscriptionType`, or a field of
    /// the wrong type or missing. The fields that could be read are still set.
    Malformed {
        /// What was wrong, naming the field.
        reason: String,
    },
}

impl WebhookEvent {
    /// Reads one event; never fails (see [`WebhookEventKind::Malformed`]).
    pub fn from_json(raw: Value) -> Self {
        let mut event = WebhookEvent {
            event_id: None,
            subscription_id: None,
            portal_id: None,
            app_id: None,
            occurred_at: None,
            attempt_number: None,
            subscription_type: String::new(),
            object_type: None,
            object_id: None,
            change_source: None,
            change_flag: None,
            source_id: None,
            kind: WebhookEventKind::Malformed {
                reason: "the event is not a JSON object".to_owned(),
            },
            raw: Value::Null,
        };
        if let Value::Object(fields) = &raw {
            let mut fields = Fields {
                map: fields,
                problem: None,
            };
            event.read(&mut fields);
            if let Some(reason) = fields.problem {
                event.kind = WebhookEventKind::Malformed { reason };
            }
        }
        event.raw = raw;
        event
    }

    /// [`occurred_at`](Self::occurred_at) as a time.
    pub fn occurred_at_time(&self) -> Option<SystemTime> {
        UNIX_EPOCH.checked_add(Duration::from_millis(self.occurred_at?))
    }

    /// Whether this event could not be read ([`WebhookEventKind::Malformed`]).
    pub fn is_malformed(&self) -> bool {
        matches!(self.kind, WebhookEventKind::Malformed { .. })
    }

    fn read(&mut self, f: &mut Fields<'_>) {
        self.event_id = f.u64("eventId");
        self.subscription_id = f.u64("subscriptionId");
        self.portal_id = f.u64("portalId");
        self.app_id = f.u64("appId");
        self.occurred_at = f.u64("occurredAt");
        self.attempt_number = f.u64("attemptNumber").and_then(|n| match u32::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => f.wrong("attemptNumber"),
        });
        self.object_id = f.id("objectId");
        self.change_source = f.string("changeSource");
        self.change_flag = f.string("changeFlag");
        self.source_id = f.string("sourceId");
        let type_id = f.string("objectTypeId");
        let from_type_id = f.string("fromObjectTypeId");
        let Some(subscription_type) = f.required("subscriptionType", Fields::string) else {
            return;
        };
        let (prefix, action) = subscription_type
            .split_once('.')
            .unwrap_or((subscription_type.as_str(), ""));
        self.object_type = match (type_id, prefix) {
            (Some(id), _) => Some(WebhookObjectType::from_type_id(&id)),
            (None, "object") => from_type_id.map(|id| WebhookObjectType::from_type_id(&id)),
            (None, "") => None,
            (None, name) => Some(WebhookObjectType::from_name(name)),
        };
        let kind = match action {
            "creation" => Some(WebhookEventKind::Creation),
            "deletion" => Some(WebhookEventKind::Deletion),
            "privacyDeletion" => Some(WebhookEventKind::PrivacyDeletion),
            "restore" => Some(WebhookEventKind::Restore),
            "propertyChange" => read_property_change(f),
            "merge" => read_merge(f),
            "associationChange" => read_association_change(f),
            _ => Some(WebhookEventKind::Unknown {
                subscription_type: subscription_type.clone(),
            }),
        };
        self.subscription_type = subscription_type;
        if let Some(kind) = kind {
            self.kind = kind;
        }
    }
}

fn read_property_change(f: &mut Fields<'_>) -> Option<WebhookEventKind> {
    let name = f.required("propertyName", Fields::string);
    let value = f.text("propertyValue");
    Some(WebhookEventKind::PropertyChange { name: name?, value })
}

fn read_merge(f: &mut Fields<'_>) -> Option<WebhookEventKind> {
    let primary_object_id = f.required("primaryObjectId", Fields::id);
    let merged_object_ids = f.required("mergedObjectIds", Fields::ids);
    let new_object_id = f.id("newObjectId");
    let number_of_properties_moved = f.u64("numberOfPropertiesMoved");
    Some(WebhookEventKind::Merge {
        primary_object_id: primary_object_id?,
        merged_object_ids: merged_object_ids?,
        new_object_id,
        number_of_properties_moved,
    })
}

fn read_association_change(f: &mut Fields<'_>) -> Option<WebhookEventKind> {
    let from_object_id = f.required("fromObjectId", Fields::id);
    let to_object_id = f.required("toObjectId", Fields::id);
    let removed = f.required("associationRemoved", Fields::bool);
    Some(WebhookEventKind::AssociationChange {
        association_type: f.string("associationType"),
        is_primary: f.bool("isPrimaryAssociation"),
        from_object_type_id: f.string("fromObjectTypeId"),
        to_object_type_id: f.string("toObjectTypeId"),
        association_type_id: f.u64("associationTypeId"),
        association_category: f.string("associationCategory"),
        from_object_id: from_object_id?,
        to_object_id: to_object_id?,
        removed: removed?,
    })
}

/// An event's fields, read leniently; the first problem met is kept. `null` counts as absent.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    problem: Option<String>,
}

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn wrong<T>(&mut self, key: &str) -> Option<T> {
        self.problem
            .get_or_insert_with(|| format!("`{key}` has an unexpected type or value"));
        None
    }

    fn required<T>(
        &mut self,
        key: &str,
        read: impl FnOnce(&mut Self, &str) -> Option<T>,
    ) -> Option<T> {
        let present = self.get(key).is_some();
        let value = read(self, key);
        if !present {
            self.problem
                .get_or_insert_with(|| format!("`{key}` is missing"));
        }
        value
    }

    fn u64(&mut self, key: &str) -> Option<u64> {
        let value = self.get(key)?;
        lenient_u64(value).or_else(|| self.wrong(key))
    }

    fn id(&mut self, key: &str) -> Option<RecordId> {
        let value = self.get(key)?;
        lenient_id(value).or_else(|| self.wrong(key))
    }

    fn ids(&mut self, key: &str) -> Option<Vec<RecordId>> {
        let ids = match self.get(key)? {
            Value::Array(items) => items.iter().map(lenient_id).collect(),
            _ => None,
        };
        ids.or_else(|| self.wrong(key))
    }

    fn string(&mut self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            _ => self.wrong(key),
        }
    }

    /// A scalar as text: property values are strings, but a number or a flag is no reason
    /// to lose the event.
    fn text(&mut self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => self.wrong(key),
        }
    }

    fn bool(&mut self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => self.wrong(key),
        }
    }
}

/// A non-negative whole number, sent as a JSON number or as a string of digits.
fn lenient_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    }
}

/// A record id, sent as a number or a non-empty string (as [`RecordId`] reads them).
fn lenient_id(value: &Value) -> Option<RecordId> {
    RecordId::deserialize(value)
        .ok()
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_decoding_follows_hubspots_table_only() {
        assert_eq!(
            decode_v3_uri("https://example.com/a%3Ab%2fc%3Fd%40e%21f%24g%27h%28i%29j%2Ak%2Cl%3Bm"),
            "https://example.com/a:b/c?d@e!f$g'h(i)j*k,l;m"
        );
        // Not in the table: left as sent. No double decoding.
        assert_eq!(decode_v3_uri("/p?q=a%20b%26c%253A"), "/p?q=a%20b%26c%253A");
        // Truncated escapes at the end, and non-ASCII text around them.
        assert_eq!(decode_v3_uri("/é%3A%3"), "/é:%3");
        assert_eq!(decode_v3_uri("%"), "%");
        assert_eq!(decode_v3_uri("%3a"), ":");
        assert!(matches!(decode_v3_uri("/plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn timestamps_are_digits_only() {
        assert_eq!(parse_timestamp("1700000000000").unwrap(), 1_700_000_000_000);
        assert_eq!(parse_timestamp("18446744073709551615").unwrap(), u64::MAX);
        for bad in [
            "",
            "+1700000000000",
            "-1",
            "1700000000000.0",
            "1.7e12",
            " 1700000000000",
            "18446744073709551616",
            "123456789012345678901",
            "0x10",
        ] {
            assert!(
                matches!(parse_timestamp(bad), Err(WebhookError::InvalidTimestamp)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn absurd_timestamps_and_clocks_do_not_panic() {
        let verifier = WebhookVerifier::new("s");
        let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_000);
        assert!(matches!(
            verifier.check_fresh(u64::MAX, now),
            Err(WebhookError::InFuture { .. })
        ));
        assert!(matches!(
            verifier.check_fresh(0, now),
            Err(WebhookError::Stale { .. })
        ));
        // A clock before 1970, and an unbounded window.
        let before_epoch = UNIX_EPOCH - Duration::from_secs(10);
        assert!(verifier.check_fresh(0, before_epoch).is_ok());
        let forever = WebhookVerifier::new("s").max_age(Duration::MAX);
        assert!(forever.check_fresh(u64::MAX, now).is_ok());
        assert!(forever.check_fresh(0, now).is_ok());
    }

    #[test]
    fn window_edges_are_inclusive() {
        let verifier = WebhookVerifier::new("s");
        let now_ms = 1_700_000_000_000u64;
        let now = UNIX_EPOCH + Duration::from_millis(now_ms);
        assert!(verifier.check_fresh(now_ms - 300_000, now).is_ok());
        assert!(verifier.check_fresh(now_ms - 300_001, now).is_err());
        assert!(verifier.check_fresh(now_ms + 300_000, now).is_ok());
        assert!(verifier.check_fresh(now_ms + 300_001, now).is_err());
    }

    #[test]
    fn hex_signatures_decode_in_either_case() {
        let lower = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de";
        let upper = lower.to_ascii_uppercase();
        let bytes = decode_hex_sha256(lower.as_bytes()).unwrap();
        assert_eq!(Some(bytes), decode_hex_sha256(upper.as_bytes()));
        assert_eq!(bytes[0], 0x23);
        assert_eq!(bytes[31], 0xde);
        assert!(decode_hex_sha256(&lower.as_bytes()[1..]).is_none());
        assert!(decode_hex_sha256(lower.replace('d', "g").as_bytes()).is_none());
    }

    #[test]
    fn object_types_map_names_and_ids() {
        assert_eq!(
            WebhookObjectType::from_type_id("0-136"),
            WebhookObjectType::Lead
        );
        assert_eq!(
            WebhookObjectType::from_name("line_item"),
            WebhookObjectType::LineItem
        );
        assert_eq!(WebhookObjectType::Lead.type_id(), Some("0-136"));
        assert_eq!(
            WebhookObjectType::from_type_id("2-99").type_id(),
            Some("2-99")
        );
        assert_eq!(WebhookObjectType::from_name("conversation").type_id(), None);
    }

    #[test]
    fn debug_hides_the_secret() {
        let verifier = WebhookVerifier::new("very-secret-value");
        let shown = format!("{verifier:?}");
        assert!(!shown.contains("very-secret-value"), "{shown}");
    }
}
