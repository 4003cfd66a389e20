//! Per-request front door: request log, URL limit, latency, faults, authentication and rate
//! limits.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use hyper::body::{Bytes, Incoming};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use tower::ServiceExt;

use crate::error::{ApiError, correlation_id};
use crate::{MAX_REQUEST_BODY, RecordedRequest, SandboxConfig, Shared, TokenState, lock};

/// Returned to hyper to make it close the connection without an answer.
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

#[derive(Debug, Default)]
struct Counters {
    window: VecDeque<Instant>,
    search: VecDeque<Instant>,
    daily_used: u64,
}

/// Limiter and fault state.
#[derive(Debug)]
pub(crate) struct Limits {
    counters: Mutex<Counters>,
    fail_rng: Option<Mutex<StdRng>>,
    drop_rng: Option<Mutex<StdRng>>,
    lose_rng: Option<Mutex<StdRng>>,
    fail_after_rng: Option<Mutex<StdRng>>,
}

impl Limits {
    pub fn new(config: &SandboxConfig) -> Self {
        Limits {
            counters: Mutex::new(Counters::default()),
            fail_rng: config
                .fail_rate
                .map(|(_, seed)| Mutex::new(StdRng::seed_from_u64(seed))),
            drop_rng: config
                .drop_rate
                .map(|(_, seed)| Mutex::new(StdRng::seed_from_u64(seed))),
            lose_rng: config
                .lose_answer_rate
                .map(|(_, seed)| Mutex::new(StdRng::seed_from_u64(seed))),
            fail_after_rng: config
                .fail_after_work_rate
                .map(|(_, seed)| Mutex::new(StdRng::seed_from_u64(seed))),
        }
    }
}

const GROUP_NAME: &str = "publicapi:private-app:sandbox";

/// Entry point for every request hyper reads.
///
/// The request is logged at arrival, so that the log keeps arrival order; its body is read
/// (and added to the log entry) only once the request has passed the URL limit, the faults
/// injected in front of the API, authentication and the rate limits. A request refused before that is
/// answered without its body being buffered or logged (the body is discarded in the
/// background so that the connection stays usable), and a dropped connection is dropped
/// before the body is read.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    router: axum::Router,
    req: Request<Incoming>,
) -> Result<Response<Body>, Dropped> {
    shared.request_count.fetch_add(1, Ordering::Relaxed);
    let seq = {
        let entry = RecordedRequest {
            method: req.method().to_string(),
            path: req.uri().path().to_string(),
            query: req.uri().query().map(str::to_string),
            body: None,
            at: Instant::now(),
        };
        lock(&shared.log).push(entry)
    };
    let cfg = &shared.config;
    if let Some(resp) = uri_too_long(cfg, &req) {
        return Ok(refuse(req, resp));
    }
    if let Some(d) = cfg.latency {
        tokio::time::sleep(d).await;
    }
    if let (Some((p, _)), Some(rng)) = (cfg.drop_rate, &shared.limits.drop_rng)
        && lock(rng).random::<f64>() < p
    {
        return Err(Dropped);
    }
    if let (Some((p, _)), Some(rng)) = (cfg.fail_rate, &shared.limits.fail_rng) {
        let mut rng = lock(rng);
        if rng.random::<f64>() < p {
            let status = [502u16, 503, 504][rng.random_range(0..3)];
            return Ok(refuse(req, proxy_error(status)));
        }
    }
    if req.uri().path().starts_with("/oauth/") {
        // The token endpoint authenticates by its form body and has no rate limit.
        let req = match read_logged(&shared, seq, req).await {
            Ok(req) => req,
            Err(e) => return Ok(e.into_response()),
        };
        return Ok(router.oneshot(req).await.unwrap_or_else(|e| match e {}));
    }
    if let Err(e) = check_auth(&shared, req.headers()) {
        return Ok(refuse(req, e.into_response()));
    }
    let is_search = crate::api::is_search(req.method(), req.uri().path());
    let headers = match admit(&shared, is_search) {
        Ok(h) => h,
        Err(resp) => {
            shared.rate_limited_count.fetch_add(1, Ordering::Relaxed);
            return Ok(refuse(req, *resp));
        }
    };
    let req = match read_logged(&shared, seq, req).await {
        Ok(req) => req,
        Err(e) => {
            let mut resp = e.into_response();
            resp.headers_mut().extend(headers);
            return Ok(resp);
        }
    };
    let mut resp = router.oneshot(req).await.unwrap_or_else(|e| match e {});
    if let (Some((p, _)), Some(rng)) = (cfg.lose_answer_rate, &shared.limits.lose_rng)
        && lock(rng).random::<f64>() < p
    {
        return Err(Dropped);
    }
    if let (Some((p, _)), Some(rng)) = (cfg.fail_after_work_rate, &shared.limits.fail_after_rng) {
        let mut rng = lock(rng);
        if rng.random::<f64>() < p {
            // The work is done; the answer is lost to a failing gateway.
            return Ok(if rng.random::<bool>() {
                json_bad_gateway()
            } else {
                proxy_error(502)
            });
        }
    }
    resp.headers_mut().extend(headers);
    Ok(resp)
}

/// Reads the whole body of a request logged as `seq`, adds it to the log entry and hands the
/// request on with the body buffered.
async fn read_logged(
    shared: &Shared,
    seq: u64,
    req: Request<Incoming>,
) -> Result<Request<Body>, ApiError> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(body).await?;
    if !bytes.is_empty() {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        lock(&shared.log).set_body(seq, text);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Answers `resp` without reading the body of `req`. The body is discarded in the
/// background, unbuffered, rather than dropped: hyper would otherwise close the connection
/// with the body unread, and a client still sending it could see the connection reset
/// instead of the answer.
fn refuse(req: Request<Incoming>, resp: Response<Body>) -> Response<Body> {
    use hyper::body::Body as _;
    let body = req.into_body();
    if !body.is_end_stream() {
        tokio::spawn(discard_body(body));
    }
    resp
}

/// Reads and forgets a body, at most [`MAX_REQUEST_BODY`] bytes (past that, or on an
/// error, it is dropped and hyper closes the connection).
async fn discard_body(mut body: Incoming) {
    use hyper::body::Body as _;
    let mut seen = 0usize;
    while let Some(Ok(frame)) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
    {
        seen += frame.data_ref().map_or(0, Bytes::len);
        if seen > MAX_REQUEST_BODY {
            return;
        }
    }
}

/// The whole body, at most [`MAX_REQUEST_BODY`] bytes.
async fn read_body(mut body: Incoming) -> Result<Bytes, ApiError> {
    use hyper::body::Body as _;
    let mut buf = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame
            .map_err(|e| ApiError::validation(format!("Failed to read the request body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if buf.len() + data.len() > MAX_REQUEST_BODY {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "VALIDATION_ERROR",
                format!("The request body is larger than {MAX_REQUEST_BODY} bytes."),
            ));
        }
        buf.extend_from_slice(&data);
    }
    Ok(Bytes::from(buf))
}

/// The 414 HubSpot's edge answers, before authentication and rate limits, to a request line
/// past its URL limit ("Long property lists" in the HubSpot facts: GET reads listing
/// hundreds of properties meet it).
fn uri_too_long<B>(cfg: &SandboxConfig, req: &Request<B>) -> Option<Response<Body>> {
    let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    // `METHOD SP request-target SP HTTP/1.1`
    let line = req.method().as_str().len() + 1 + target + 1 + "HTTP/1.1".len();
    if line <= cfg.request_line_limit() {
        return None;
    }
    Some(html_page(
        StatusCode::URI_TOO_LONG,
        "414 Request-URI Too Large",
    ))
}

fn proxy_error(status: u16) -> Response<Body> {
    let text = match status {
        502 => "502 Bad Gateway",
        503 => "503 Service Temporarily Unavailable",
        _ => "504 Gateway Time-out",
    };
    html_page(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
        text,
    )
}

/// The HTML page a proxy answers with, titled `text`.
fn html_page(status: StatusCode, text: &str) -> Response<Body> {
    let body = format!(
        "<html>\r\n<head><title>{text}</title></head>\r\n<body>\r\n<center><h1>{text}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    resp
}

/// A 502 in HubSpot's JSON error shape.
fn json_bad_gateway() -> Response<Body> {
    let body = json!({
        "status": "error",
        "message": "Bad Gateway",
        "correlationId": correlation_id(),
        "category": "BAD_GATEWAY",
    });
    (StatusCode::BAD_GATEWAY, axum::Json(body)).into_response()
}

fn check_auth(shared: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(ApiError::unauthorized(
            "Authentication credentials not found. This API supports OAuth 2.0 authentication and private app access tokens.",
        ));
    };
    let cfg = &shared.config;
    let strict = cfg.access_token.is_some() || !cfg.oauth_clients.is_empty();
    if !strict || cfg.access_token.as_deref() == Some(token) {
        return Ok(());
    }
    let state = lock(&shared.tokens).check(token, Instant::now());
    match state {
        TokenState::Valid => Ok(()),
        TokenState::Expired => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "EXPIRED_AUTHENTICATION",
            "The OAuth token used to make this call expired.",
        )),
        TokenState::Unknown => Err(ApiError::unauthorized(
            "The access token provided is invalid or has been revoked.",
        )),
    }
}

/// Counts the request against the configured limits; `Err` is the 429 answer.
fn admit(shared: &Shared, is_search: bool) -> Result<HeaderMap, Box<Response<Body>>> {
    let cfg = &shared.config;
    if cfg.rate_limit.is_none() && cfg.daily_limit.is_none() && cfg.search_rate_limit.is_none() {
        return Ok(HeaderMap::new());
    }
    let now = Instant::now();
    let mut c = lock(&shared.limits.counters);
    if let Some((_, window)) = cfg.rate_limit {
        while c
            .window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            c.window.pop_front();
        }
    }
    while c
        .search
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        c.search.pop_front();
    }
    let headers = |c: &Counters| {
        let mut h = HeaderMap::new();
        if is_search {
            return h;
        }
        if let Some((max, window)) = cfg.rate_limit {
            let remaining = u64::from(max).saturating_sub(c.window.len() as u64);
            h.insert("X-HubSpot-RateLimit-Max", max.into());
            h.insert("X-HubSpot-RateLimit-Remaining", remaining.into());
            h.insert(
                "X-HubSpot-RateLimit-Interval-Milliseconds",
                (window.as_millis() as u64).into(),
            );
        }
        if let Some(max) = cfg.daily_limit {
            h.insert("X-HubSpot-RateLimit-Daily", max.into());
            h.insert(
                "X-HubSpot-RateLimit-Daily-Remaining",
                max.saturating_sub(c.daily_used).into(),
            );
        }
        h
    };
    if let Some(max) = cfg.daily_limit
        && c.daily_used >= max
    {
        return Err(too_many(
            "You have reached your daily limit.",
            "DAILY",
            headers(&c),
        ));
    }
    if is_search {
        if let Some(per_sec) = cfg.search_rate_limit
            && c.search.len() >= per_sec as usize
        {
            return Err(too_many(
                "You have reached your secondly limit.",
                "SECONDLY",
                HeaderMap::new(),
            ));
        }
        c.search.push_back(now);
    } else if let Some((max, _)) = cfg.rate_limit {
        if c.window.len() >= max as usize {
            return Err(too_many(
                "You have reached your ten_secondly_rolling limit.",
                "TEN_SECONDLY_ROLLING",
                headers(&c),
            ));
        }
        c.window.push_back(now);
    }
    c.daily_used += 1;
    Ok(headers(&c))
}

fn too_many(message: &str, policy: &str, headers: HeaderMap) -> Box<Response<Body>> {
    let body = json!({
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": correlation_id(),
        "policyName": policy,
        "groupName": GROUP_NAME,
    });
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    resp.headers_mut().extend(headers);
    Box::new(resp)
}
