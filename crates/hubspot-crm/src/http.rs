//! What every part that speaks HTTP needs, below them all: checking an address, the TLS
//! backend, and reading a body under a cap.

use crate::error::ValidationError;

/// The default cap on an answer's body: far above HubSpot's largest answers (a few MB), far
/// below what would hurt.
pub(crate) const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Why a body was not read in full.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// It is longer than the cap: declared so, or more bytes came.
    TooLarge,
    /// The connection failed or timed out while reading.
    Failed(reqwest::Error),
}

/// Reads `response`'s body, never holding more than `limit` bytes of it: a body that says it
/// is longer, or turns out to be, is dropped with the connection at the cap.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    limit: u64,
) -> std::result::Result<bytes::Bytes, BodyError> {
    /// The most reserved ahead on a declared length, which may be a lie.
    const MAX_RESERVED: u64 = 1024 * 1024;
    let declared = response.content_length();
    if declared.is_some_and(|length| length > limit) {
        return Err(BodyError::TooLarge);
    }
    let mut body = bytes::BytesMut::with_capacity(declared.unwrap_or(0).min(MAX_RESERVED) as usize);
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Failed)? {
        if (body.len() as u64).saturating_add(chunk.len() as u64) > limit {
            return Err(BodyError::TooLarge);
        }
        if body.is_empty() && declared == Some(chunk.len() as u64) {
            // The whole body in one chunk: no copy.
            return Ok(chunk);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Checks an address the client sends requests (and tokens) to: an http(s) URL with a host,
/// and no query string, fragment or user name and password, which would be sent along with
/// every request or leak into logs. `field` names it in the error.
pub(crate) fn check_url(
    field: &str,
    url: &str,
) -> std::result::Result<reqwest::Url, ValidationError> {
    // A URL with credentials is never repeated in an error.
    let shown = if url.contains('@') {
        "the URL".to_owned()
    } else {
        format!("`{url}`")
    };
    let invalid = |why: &str| ValidationError::new(field, format!("{shown} {why}"));
    let parsed = match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => parsed,
        _ => return Err(invalid("is not an http(s) URL")),
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ValidationError::new(
            field,
            "must not carry a user name or password",
        ));
    }
    if parsed.query().is_some() {
        return Err(invalid("must not have a query string"));
    }
    if parsed.fragment().is_some() {
        return Err(invalid("must not have a fragment"));
    }
    Ok(parsed)
}

/// The TLS library the `native-tls` feature asks for; otherwise the HTTP client's default
/// (rustls).
pub(crate) fn tls_backend(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    #[cfg(feature = "native-tls")]
    let builder = builder.tls_backend_native();
    builder
}
