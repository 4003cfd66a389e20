//! Checking that a webhook request comes from HubSpot: its v3 signature (or, when allowed,
//! v1/v2) and its age.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::WebhookError;
use crate::auth::Secret;

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
    fn debug_hides_the_secret() {
        let verifier = WebhookVerifier::new("very-secret-value");
        let shown = format!("{verifier:?}");
        assert!(!shown.contains("very-secret-value"), "{shown}");
    }
}
