//! Receiving HubSpot webhooks: checking a request's signature, then reading its events.
//!
//! Nothing here depends on a web framework: give [`WebhookVerifier::verify`] the method, the
//! full URL HubSpot called, the headers and the raw body, then [`parse_events`] the same body.

mod events;
mod verify;

use std::time::Duration;

pub use events::{
    WEBHOOK_MAX_BODY_BYTES, WebhookEvent, WebhookEventKind, WebhookObjectType, parse_events,
    parse_events_with_limit,
};
pub use verify::{SignatureVersion, WEBHOOK_MAX_AGE, WebhookVerifier, headers};

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
