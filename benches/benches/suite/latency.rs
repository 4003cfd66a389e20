//! Latency: 10,000 leads (100 pages) streamed from a sandbox that answers every request 100 ms
//! late, by a reader that spends 500 µs on each record (an awaited write elsewhere). Read page
//! by page, the reader's time adds to the server's; with the next page fetched while the
//! reader works it hides behind it. The figure is the total time over pages × latency: 1.0
//! is the server's latency alone. Measured for `list_stream` and the change feed, each on
//! demand (`prefetch(0)`) and with the default prefetch. The short run has 20 pages, 50 ms of
//! latency and 250 µs per record: the reader's share of a page stays half the latency.

use std::time::Duration;

use futures::{Stream, StreamExt};
use hubspot_crm::{ChangeFeedOptions, Checkpoint, Client, RateLimits, ReadOptions, StreamOptions};
use hubspot_crm_benches::{LocalSandbox, Met, Row, client_runtime, thousands};
use hubspot_sandbox::SandboxConfig;
use tokio::time::Instant;

use crate::Figure;

const PROPERTIES: [&str; 3] = ["hs_lead_name", "hs_lead_label", "hs_lead_type"];
const LIST: &str = "/crm/v3/objects/leads";
const SEARCH: &str = "/crm/v3/objects/leads/search";
const ON_DEMAND: &str = "prefetch(0), on demand";

pub fn run(quick: bool) -> Figure {
    // The reader's time per page is half the latency in both modes.
    let (leads, latency, per_record) = if quick {
        (2_000, Duration::from_millis(50), Duration::from_micros(250))
    } else {
        (
            10_000,
            Duration::from_millis(100),
            Duration::from_micros(500),
        )
    };
    println!(
        "   {} leads in pages of 100, {latency:?} latency per request, the reader {per_record:?} per record",
        thousands(leads as u64)
    );
    let local = LocalSandbox::start(SandboxConfig::new().latency(latency));
    let sandbox = local.sandbox();
    let contact = sandbox.seed_contact(serde_json::json!({"email": "latency@example.com"}));
    sandbox.seed_leads(&contact, leads);
    let client = Client::builder()
        .access_token("bench-token")
        .base_url(sandbox.base_url())
        .rate_limits(RateLimits::off())
        .build()
        .expect("client");
    let read = || ReadOptions::new().properties(PROPERTIES);

    let runtime = client_runtime();
    let mut figure = Figure::default();
    // The server's own pace: what is left of a figure's excess once the reader is hidden.
    let (list_trip, search_trip) = runtime.block_on(plain_round_trips(&sandbox.base_url(), 10));
    println!(
        "   one page by plain reqwest (no client, no reader): a list page {:.1} ms, a search page {:.1} ms",
        list_trip.as_secs_f64() * 1000.0,
        search_trip.as_secs_f64() * 1000.0
    );
    // On demand, the reader's time adds to every page: about 1.5, the reference the default
    // is held against.
    let streams: Vec<(&str, StreamOptions)> = vec![
        (ON_DEMAND, StreamOptions::new().prefetch(0)),
        ("default (prefetch 1)", StreamOptions::new()),
    ];
    for (name, options) in streams {
        let requests_before = sandbox.request_log().len();
        let (records, elapsed) = runtime.block_on(timed(
            client.leads().list_stream(read(), options),
            per_record,
        ));
        let pages = requests_since(sandbox, requests_before, LIST);
        figure.rows.push(row(
            format!("latency: `list_stream` {name}"),
            name != ON_DEMAND,
            (records, leads),
            pages,
            elapsed,
            latency,
            &mut figure.failures,
        ));
    }

    let feed = || {
        ChangeFeedOptions::new()
            .page_size(100)
            .properties(PROPERTIES)
    };
    let feeds: Vec<(&str, ChangeFeedOptions)> = vec![
        (ON_DEMAND, feed().prefetch(0)),
        ("default (prefetch 1)", feed()),
    ];
    for (name, options) in feeds {
        let requests_before = sandbox.request_log().len();
        let (records, elapsed) = runtime.block_on(timed(
            client.leads().changes(Checkpoint::beginning(), options),
            per_record,
        ));
        let pages = requests_since(sandbox, requests_before, SEARCH);
        figure.rows.push(row(
            format!("latency: change feed (`changes`) {name}"),
            name != ON_DEMAND,
            (records, leads),
            pages,
            elapsed,
            latency,
            &mut figure.failures,
        ));
    }
    drop(runtime);
    figure
}

/// A row; `judged` holds it to the goal, else it is reported as the reference.
fn row(
    figure: String,
    judged: bool,
    (records, expected): (usize, usize),
    pages: usize,
    elapsed: Duration,
    latency: Duration,
    failures: &mut Vec<String>,
) -> Row {
    let floor = latency * pages as u32;
    let ratio = elapsed.as_secs_f64() / floor.as_secs_f64().max(1e-9);
    println!(
        "   {figure}: {records} records, {pages} requests, {:.3} s",
        elapsed.as_secs_f64()
    );
    if records != expected {
        failures.push(format!("{figure}: {records} records, expected {expected}"));
    }
    Row {
        figure,
        value: format!("{:.2} s", elapsed.as_secs_f64()),
        baseline: format!("{:.2} s ({pages} × {latency:?})", floor.as_secs_f64()),
        ratio: Some(ratio),
        goal: if judged {
            "≤ 1.05"
        } else {
            "— (reference)"
        }
        .into(),
        met: if judged {
            Met::from(ratio <= 1.05)
        } else {
            Met::Reported
        },
    }
}

/// Requests to `path` the sandbox received after the first `skip`, and the mean time between
/// their arrivals.
fn requests_since(sandbox: &hubspot_sandbox::Sandbox, skip: usize, path: &str) -> usize {
    let arrivals: Vec<std::time::Instant> = sandbox
        .request_log()
        .iter()
        .skip(skip)
        .filter(|r| r.path == path)
        .map(|r| r.at)
        .collect();
    if let (Some(first), Some(last)) = (arrivals.first(), arrivals.last())
        && arrivals.len() > 1
    {
        println!(
            "   a request every {:.1} ms",
            (*last - *first).as_secs_f64() * 1000.0 / (arrivals.len() - 1) as f64
        );
    }
    arrivals.len()
}

/// The mean time of a page sent with plain reqwest, `pages` in a row, of a list and of a
/// search like the change feed's first: the server's latency plus its own time and the HTTP
/// exchange, without the client.
async fn plain_round_trips(base_url: &str, pages: u32) -> (Duration, Duration) {
    let http = reqwest::Client::new();
    let mut after: Option<String> = None;
    let started = Instant::now();
    for _ in 0..pages {
        let mut url = format!("{base_url}{LIST}?limit=100&properties=hs_lead_name");
        if let Some(after) = &after {
            url.push_str(&format!("&after={after}"));
        }
        let page: serde_json::Value = http
            .get(url)
            .bearer_auth("bench-token")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("a page")
            .json()
            .await
            .expect("JSON");
        after = page["paging"]["next"]["after"].as_str().map(str::to_owned);
    }
    let list = started.elapsed() / pages;
    let search = serde_json::json!({
        "filterGroups": [{"filters": [
            {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "0"}
        ]}],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "properties": PROPERTIES,
        "limit": 100,
    });
    let started = Instant::now();
    for _ in 0..pages {
        http.post(format!("{base_url}{SEARCH}"))
            .bearer_auth("bench-token")
            .json(&search)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("a search page")
            .bytes()
            .await
            .expect("its body");
    }
    (list, started.elapsed() / pages)
}

/// Reads every item of `stream`, spending `per_record` on each; returns how many and how long.
async fn timed<T, E: std::fmt::Debug>(
    stream: impl Stream<Item = Result<T, E>>,
    per_record: Duration,
) -> (usize, Duration) {
    let started = Instant::now();
    let mut stream = std::pin::pin!(stream);
    let mut work = Work::new(per_record);
    let mut records = 0;
    while let Some(item) = stream.next().await {
        item.expect("a record");
        records += 1;
        work.record().await;
    }
    (records, started.elapsed())
}

/// A reader's work, awaited as a write elsewhere would be. The timer ticks in milliseconds,
/// so sleeping 500 µs a record would take a tick each: time owed is summed and slept once it
/// reaches a tick, and what a sleep overran is taken off what is owed next, so that the
/// reader spends `per_record` per record over a run to within one tick.
struct Work {
    per_record: Duration,
    /// Owed (positive) or overpaid (negative), in nanoseconds.
    owed_ns: i128,
}

impl Work {
    fn new(per_record: Duration) -> Work {
        Work {
            per_record,
            owed_ns: 0,
        }
    }

    async fn record(&mut self) {
        self.owed_ns += self.per_record.as_nanos() as i128;
        if self.owed_ns >= Duration::from_millis(1).as_nanos() as i128 {
            let started = Instant::now();
            tokio::time::sleep(Duration::from_nanos(self.owed_ns as u64)).await;
            self.owed_ns -= started.elapsed().as_nanos() as i128;
        }
    }
}
