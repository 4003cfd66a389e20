//! A tiny HTTP/1.1 server answering a scripted sequence of replies, one per request in arrival
//! order, recording each request and when it arrived. Lets a test give different answers to
//! successive attempts of one call and count requests per time window on the server side,
//! which httpmock cannot do.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{Endpoint, lead_json, rolling_429_body};

/// One scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    delay: Duration,
    hang_up: bool,
    /// Sent as they are instead of an answer built from the fields above.
    raw: Option<Vec<u8>>,
    /// A generated body instead of `body`: how many bytes, and the length declared.
    long_body: Option<LongBody>,
}

/// A body generated while it is sent, never held in memory whole.
#[derive(Clone, Copy, Debug)]
struct LongBody {
    /// Bytes sent at most (less when the client hangs up first).
    sent: u64,
    /// The `content-length` declared; chunked without.
    declared: Option<u64>,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
            delay: Duration::ZERO,
            hang_up: false,
            raw: None,
            long_body: None,
        }
    }

    /// An HTML page, as a proxy in front of HubSpot sends.
    pub fn html(status: u16, body: &str) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), "text/html".into())],
            body: body.into(),
            delay: Duration::ZERO,
            hang_up: false,
            raw: None,
            long_body: None,
        }
    }

    /// Exactly `bytes` as the whole answer (status line, headers and body, however malformed),
    /// then the connection is closed.
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Self {
        Reply {
            raw: Some(bytes.into()),
            ..Reply::html(200, "")
        }
    }

    /// A body of `bytes` bytes of JSON-looking filler (`[` then spaces), sent chunked as it
    /// is generated: a proxy pushing an endless body, as far as any cap below `bytes` goes.
    /// Stops when the client hangs up.
    pub fn long_body(status: u16, bytes: u64) -> Self {
        Reply {
            long_body: Some(LongBody {
                sent: bytes,
                declared: None,
            }),
            ..Reply::json(status, serde_json::Value::Null)
        }
    }

    /// Declares `content-length: declared` but sends only `sent` bytes of filler, then
    /// closes the connection.
    pub fn declared_length(status: u16, declared: u64, sent: u64) -> Self {
        Reply {
            long_body: Some(LongBody {
                sent: sent.min(declared),
                declared: Some(declared),
            }),
            ..Reply::json(status, serde_json::Value::Null)
        }
    }

    /// Reads the request, then closes the connection without answering.
    pub fn hang_up() -> Self {
        Reply {
            hang_up: true,
            ..Reply::html(500, "")
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Answers only after `delay`.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The HTTP method, e.g. `GET`.
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Header names and values, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Vec<u8>,
    /// When the request was read in full.
    pub at: Instant,
    /// The same moment on the tokio clock of the server's runtime (the test's), which a
    /// test with a paused clock controls.
    pub clock: tokio::time::Instant,
}

impl Received {
    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The query string, if any.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON; panics if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// The server; stops when dropped.
pub struct ScriptServer {
    addr: SocketAddr,
    script: Arc<Mutex<VecDeque<Reply>>>,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl ScriptServer {
    /// Answers `replies` in order, then `fallback` to every further request.
    pub async fn start(replies: Vec<Reply>, fallback: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::from_listener(listener, replies, fallback)
    }

    /// Serves on a listener bound elsewhere.
    pub fn from_listener(listener: TcpListener, replies: Vec<Reply>, fallback: Reply) -> Self {
        let addr = listener.local_addr().unwrap();
        let script = Arc::new(Mutex::new(VecDeque::from(replies)));
        let received = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let script = script.clone();
            let received = received.clone();
            async move {
                loop {
                    let Ok((socket, _)) = listener.accept().await else {
                        return;
                    };
                    tokio::spawn(serve(
                        socket,
                        script.clone(),
                        received.clone(),
                        fallback.clone(),
                    ));
                }
            }
        });
        ScriptServer {
            addr,
            script,
            received,
            task,
        }
    }

    /// Answers every request with `reply`.
    pub async fn always(reply: Reply) -> Self {
        Self::start(Vec::new(), reply).await
    }

    /// The base URL to point a client at.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// How many requests arrived.
    pub fn hits(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    /// Replies of the script not used yet.
    pub fn unused(&self) -> usize {
        self.script.lock().unwrap().len()
    }

    /// Arrival times, sorted.
    pub fn arrivals(&self) -> Vec<Instant> {
        let mut times: Vec<Instant> = self.received().iter().map(|r| r.at).collect();
        times.sort();
        times
    }

    /// Arrival times on the tokio clock (see [`Received::clock`]), sorted.
    pub fn clock_arrivals(&self) -> Vec<tokio::time::Instant> {
        let mut times: Vec<_> = self.received().iter().map(|r| r.clock).collect();
        times.sort();
        times
    }
}

impl Endpoint for ScriptServer {
    fn endpoint(&self) -> String {
        self.url()
    }
}

impl Drop for ScriptServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut socket: TcpStream,
    script: Arc<Mutex<VecDeque<Reply>>>,
    received: Arc<Mutex<Vec<Received>>>,
    fallback: Reply,
) {
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_request(&mut socket, &mut buffer).await else {
            return;
        };
        let reply = {
            // One lock for both, so that the n-th recorded request gets the n-th reply.
            let mut script = script.lock().unwrap();
            received.lock().unwrap().push(request);
            script.pop_front().unwrap_or_else(|| fallback.clone())
        };
        if !reply.delay.is_zero() {
            tokio::time::sleep(reply.delay).await;
        }
        if reply.hang_up {
            return;
        }
        if let Some(raw) = &reply.raw {
            let _ = socket.write_all(raw).await;
            let _ = socket.shutdown().await;
            return;
        }
        if let Some(long) = reply.long_body {
            send_long_body(&mut socket, &reply, long).await;
            return;
        }
        let mut head = format!(
            "HTTP/1.1 {} Scripted\r\ncontent-length: {}\r\n",
            reply.status,
            reply.body.len()
        );
        for (name, value) in &reply.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(reply.body.as_bytes());
        if socket.write_all(&bytes).await.is_err() {
            return;
        }
    }
}

/// Sends `reply`'s head and a generated body, then closes the connection.
async fn send_long_body(socket: &mut TcpStream, reply: &Reply, long: LongBody) {
    const CHUNK: usize = 64 * 1024;
    let mut head = format!("HTTP/1.1 {} Scripted\r\n", reply.status);
    match long.declared {
        Some(length) => head.push_str(&format!("content-length: {length}\r\n")),
        None => head.push_str("transfer-encoding: chunked\r\n"),
    }
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    if socket.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let spaces = vec![b' '; CHUNK];
    let mut opening = spaces.clone();
    opening[0] = b'[';
    let mut left = long.sent;
    let mut first = true;
    while left > 0 {
        let n = left.min(CHUNK as u64) as usize;
        let data = if first { &opening[..n] } else { &spaces[..n] };
        first = false;
        let written = match long.declared {
            Some(_) => socket.write_all(data).await,
            None => {
                let mut framed = format!("{:x}\r\n", data.len()).into_bytes();
                framed.extend_from_slice(data);
                framed.extend_from_slice(b"\r\n");
                socket.write_all(&framed).await
            }
        };
        if written.is_err() {
            return;
        }
        left -= data.len() as u64;
    }
    if long.declared.is_none() {
        let _ = socket.write_all(b"0\r\n\r\n").await;
    }
    let _ = socket.shutdown().await;
}

async fn read_request(socket: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Received> {
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buffer.len() < body_start + length {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = buffer[body_start..body_start + length].to_vec();
    buffer.drain(..body_start + length);
    Some(Received {
        method,
        target,
        headers,
        body,
        at: Instant::now(),
        clock: tokio::time::Instant::now(),
    })
}

/// [`lead_json`] answered with 200.
pub fn lead_ok(id: &str) -> Reply {
    Reply::json(200, lead_json(id))
}

/// HubSpot's 429 for the ten-secondly rolling window.
pub fn rolling_429() -> Reply {
    Reply::json(429, rolling_429_body())
}

/// A gateway error page.
pub fn bad_gateway(status: u16) -> Reply {
    Reply::html(
        status,
        "<html><head><title>Service Unavailable</title></head><body>upstream error</body></html>",
    )
}
