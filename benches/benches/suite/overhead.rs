//! Overhead: every lead of a server holding 50,000, read through `list_stream` and through a
//! baseline of plain reqwest + serde into structs holding what a `Record` holds, following
//! `paging.next.after` the same way. Same requests, same process, alternated over several
//! rounds; the figure is the client's CPU time and wall time over the baseline's.
//!
//! The pages are rendered once by a sandbox and then served as stored bytes by a small server
//! in a child process: answering costs the server next to nothing, and none of its CPU time
//! is counted here, so what differs is the client's own work. The server answers only the
//! exact query strings the pages were rendered for, so both readers must send the same
//! requests.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use hubspot_crm::{Client, RateLimits, ReadOptions, StreamOptions};
use hubspot_crm_benches::{
    ChildServer, Met, Row, announce_and_wait, client_runtime, median, process_cpu_time, thousands,
};
use hubspot_sandbox::{Sandbox, SandboxConfig};
use serde::Deserialize;

use crate::Figure;

/// The child server kind serving pre-rendered pages.
pub const CHILD_KIND: &str = "pages";

const TOKEN: &str = "bench-token";
const PATH: &str = "/crm/v3/objects/leads";
const PROPERTIES: [&str; 3] = ["hs_lead_name", "hs_lead_label", "hs_lead_type"];
/// What the client's generated code sends for `PROPERTIES` (commas form-encoded).
const PROPERTIES_QUERY: &str = "hs_lead_name%2Chs_lead_label%2Chs_lead_type";
/// Every this-many lead has no label and no type: a quarter of the leads have null values.
const NULL_EVERY: usize = 4;

/// The query string of the page after `after` (the first page without), as the client sends it.
fn query(after: Option<&str>) -> String {
    let rest = format!("archived=false&limit=100&properties={PROPERTIES_QUERY}");
    match after {
        Some(after) => format!("after={after}&{rest}"),
        None => rest,
    }
}

pub fn run(quick: bool) -> Figure {
    let total: usize = if quick { 10_000 } else { 50_000 };
    let rounds = if quick { 5 } else { 15 };
    let server = ChildServer::spawn(&[CHILD_KIND.to_owned(), total.to_string()], 2);
    let base_url = server.base_url().to_owned();
    let pages: usize = server.line(1).parse().expect("a page count");
    println!(
        "   {} leads in {pages} pages of 100 (1 in {NULL_EVERY} with null label and type), pre-rendered, served from a child process; {rounds} rounds",
        thousands(total as u64)
    );
    // What each record moved through a stream weighs, before what it points to.
    println!(
        "   a `Result<Record>` is {} bytes, the baseline's record {} bytes",
        std::mem::size_of::<hubspot_crm::Result<hubspot_crm::Record>>(),
        std::mem::size_of::<BaseRecord>()
    );

    let runtime = client_runtime();
    let mut figure = Figure::default();
    let passes = runtime.block_on(async {
        let client = Client::builder()
            .access_token(TOKEN)
            .base_url(&base_url)
            .rate_limits(RateLimits::off())
            .build()
            .expect("client");
        let baseline = Baseline::new(&base_url);
        // Warm-up: connections, lazily built state, the server's pages in cache.
        let expected = client_pass(&client).await;
        let warm = baseline.pass().await;
        if expected != warm || expected.records != total || expected.nulls != total / NULL_EVERY {
            figure.failures.push(format!(
                "client read {expected:?}, baseline {warm:?}, of {total} leads"
            ));
        }
        if let Some(only) = profile_only() {
            let passes = std::env::var("HUBSPOT_BENCH_PROFILE_PASSES")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(rounds * 10);
            profile_passes(only, &client, &baseline, passes, &expected).await;
            return Vec::new();
        }
        let mut passes = Vec::new();
        for round in 0..rounds {
            // Alternate which goes first, so that neither always runs on a warmer machine.
            let (client_run, baseline_run) = if round % 2 == 0 {
                let c = measured(client_pass(&client)).await;
                (c, measured(baseline.pass()).await)
            } else {
                let b = measured(baseline.pass()).await;
                (measured(client_pass(&client)).await, b)
            };
            for (who, run) in [("client", &client_run), ("baseline", &baseline_run)] {
                if run.summary != expected {
                    figure.failures.push(format!(
                        "round {round}: {who} read {:?}, expected {expected:?}",
                        run.summary
                    ));
                }
            }
            println!(
                "   round {}: client cpu {:.3} s wall {:.3} s | baseline cpu {:.3} s wall {:.3} s",
                round + 1,
                client_run.cpu.as_secs_f64(),
                client_run.wall.as_secs_f64(),
                baseline_run.cpu.as_secs_f64(),
                baseline_run.wall.as_secs_f64()
            );
            passes.push((client_run, baseline_run));
        }
        passes
    });
    drop(server);
    if passes.is_empty() {
        return figure;
    }

    let secs = |f: fn(&Pass) -> Duration, of_client: bool| -> Vec<f64> {
        passes
            .iter()
            .map(|(c, b)| f(if of_client { c } else { b }).as_secs_f64())
            .collect()
    };
    for (name, f) in [
        ("CPU", (|p: &Pass| p.cpu) as fn(&Pass) -> Duration),
        ("wall", |p: &Pass| p.wall),
    ] {
        let client = secs(f, true);
        let base = secs(f, false);
        let ratios: Vec<f64> = client.iter().zip(&base).map(|(c, b)| c / b).collect();
        let ratio = median(&ratios);
        let sum = |v: &[f64]| v.iter().sum::<f64>();
        let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
        println!(
            "   {name}: per-round ratios {}; over all rounds {:.3}; fastest pass over fastest pass {:.3}",
            ratios
                .iter()
                .map(|r| format!("{r:.3}"))
                .collect::<Vec<_>>()
                .join(" "),
            sum(&client) / sum(&base),
            min(&client) / min(&base)
        );
        figure.rows.push(Row {
            figure: format!(
                "overhead, {name}: `list_stream` / reqwest + serde, {} leads (per pass, median of {rounds})",
                thousands(total as u64)
            ),
            value: format!("{:.3} s", median(&client)),
            baseline: format!("{:.3} s", median(&base)),
            ratio: Some(ratio),
            goal: "≤ 1.05".into(),
            met: Met::from(ratio <= 1.05),
        });
    }
    figure
}

/// `HUBSPOT_BENCH_PROFILE=client` (or `baseline`): the overhead figure runs only that reader,
/// pass after pass (`HUBSPOT_BENCH_PROFILE_PASSES`, by default ten per round), for a profiler
/// to look at; no ratio is made.
fn profile_only() -> Option<String> {
    std::env::var("HUBSPOT_BENCH_PROFILE").ok()
}

async fn profile_passes(
    only: String,
    client: &Client,
    baseline: &Baseline,
    passes: usize,
    expected: &Summary,
) {
    let started = Instant::now();
    for _ in 0..passes {
        let summary = match only.as_str() {
            "client" => client_pass(client).await,
            "baseline" => baseline.pass().await,
            other => panic!("HUBSPOT_BENCH_PROFILE is `client` or `baseline`, not `{other}`"),
        };
        assert_eq!(&summary, expected, "a {only} pass read something else");
    }
    println!(
        "   {passes} passes of the {only} only, for profiling: {:.3} s",
        started.elapsed().as_secs_f64()
    );
}

/// What a reader saw: the same for both readers when both read every lead.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Summary {
    records: usize,
    /// Leads without a label.
    nulls: usize,
    archived: usize,
    last_id: u64,
    latest_update: Option<DateTime<Utc>>,
    earliest_create: Option<DateTime<Utc>>,
}

impl Summary {
    fn add(
        &mut self,
        id: &str,
        label: Option<&str>,
        created: DateTime<Utc>,
        updated: DateTime<Utc>,
        archived: bool,
    ) {
        let id: u64 = id.parse().expect("a numeric id");
        assert!(id > self.last_id, "lead {id} came after {}", self.last_id);
        self.last_id = id;
        self.records += 1;
        self.nulls += usize::from(label.is_none());
        self.archived += usize::from(archived);
        self.latest_update = self.latest_update.max(Some(updated));
        self.earliest_create = Some(self.earliest_create.map_or(created, |e| e.min(created)));
    }
}

struct Pass {
    cpu: Duration,
    wall: Duration,
    summary: Summary,
}

async fn measured(read: impl Future<Output = Summary>) -> Pass {
    let cpu = process_cpu_time();
    let started = Instant::now();
    let summary = read.await;
    Pass {
        wall: started.elapsed(),
        cpu: process_cpu_time().saturating_sub(cpu),
        summary,
    }
}

async fn client_pass(client: &Client) -> Summary {
    let mut stream = client.leads().list_stream(
        ReadOptions::new().properties(PROPERTIES),
        StreamOptions::new(),
    );
    let mut summary = Summary::default();
    while let Some(lead) = stream.next().await {
        let lead = lead.expect("a lead");
        summary.add(
            &lead.id,
            lead.property("hs_lead_label"),
            lead.created_at,
            lead.updated_at,
            lead.archived,
        );
    }
    summary
}

/// The baseline: what a hand-written reader of the list endpoint does.
struct Baseline {
    http: reqwest::Client,
    base_url: String,
}

#[derive(Deserialize)]
struct BasePage {
    results: Vec<BaseRecord>,
    paging: Option<BasePaging>,
}

#[derive(Deserialize)]
struct BasePaging {
    next: Option<BaseNext>,
}

#[derive(Deserialize)]
struct BaseNext {
    after: String,
}

/// What `hubspot_crm::Record` holds of a listed lead.
#[derive(Deserialize)]
struct BaseRecord {
    id: String,
    properties: BTreeMap<String, Option<String>>,
    #[serde(rename = "createdAt")]
    created_at: DateTime<Utc>,
    #[serde(rename = "updatedAt")]
    updated_at: DateTime<Utc>,
    #[serde(default)]
    archived: bool,
}

impl Baseline {
    fn new(base_url: &str) -> Baseline {
        // The client's own HTTP settings, so that only what is built on top differs.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .user_agent("hubspot-crm-benches")
            .build()
            .expect("reqwest client");
        Baseline {
            http,
            base_url: base_url.to_owned(),
        }
    }

    async fn pass(&self) -> Summary {
        let mut summary = Summary::default();
        let mut after: Option<String> = None;
        loop {
            let url = format!("{}{PATH}?{}", self.base_url, query(after.as_deref()));
            let page: BasePage = self
                .http
                .get(url)
                .bearer_auth(TOKEN)
                .header(header::ACCEPT, "application/json")
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .expect("a page")
                .json()
                .await
                .expect("a page of leads");
            for lead in page.results {
                let label = lead
                    .properties
                    .get("hs_lead_label")
                    .and_then(Option::as_deref);
                summary.add(
                    &lead.id,
                    label,
                    lead.created_at,
                    lead.updated_at,
                    lead.archived,
                );
            }
            match page.paging.and_then(|p| p.next) {
                Some(next) => after = Some(next.after),
                None => return summary,
            }
        }
    }
}

/// The child: renders every page of `args[0]` seeded leads through a sandbox, then serves
/// them as stored bytes until stdin closes. Prints its address and the number of pages.
pub fn serve_pages(args: &[String]) {
    let total: usize = args
        .first()
        .and_then(|n| n.parse().ok())
        .expect("a lead count");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let pages = Arc::new(render_pages(total).await);
        let count = pages.len();
        let app = axum::Router::new()
            .route(PATH, axum::routing::get(answer))
            .with_state(pages);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        tokio::task::spawn_blocking(move || {
            announce_and_wait(&[format!("http://{addr}"), count.to_string()])
        })
        .await
        .expect("wait for stdin to close");
    });
}

type Pages = Arc<HashMap<String, axum::body::Bytes>>;

async fn answer(State(pages): State<Pages>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    match pages.get(&query) {
        Some(body) => ([(header::CONTENT_TYPE, "application/json")], body.clone()).into_response(),
        None => {
            eprintln!("pre-rendered pages: no page for the query `{query}`");
            (StatusCode::BAD_REQUEST, format!("no page for `{query}`")).into_response()
        }
    }
}

/// Every page of the list, as the sandbox answers it, by query string.
async fn render_pages(total: usize) -> HashMap<String, axum::body::Bytes> {
    let sandbox = Sandbox::start(SandboxConfig::new())
        .await
        .expect("start the sandbox");
    for n in 1..=total {
        let name = format!("Lead {n}");
        let properties = if n % NULL_EVERY == 0 {
            serde_json::json!({ "hs_lead_name": name })
        } else {
            serde_json::json!({
                "hs_lead_name": name,
                "hs_lead_label": "WARM",
                "hs_lead_type": "NEW BUSINESS",
            })
        };
        sandbox.seed_object("leads", properties);
    }
    let http = reqwest::Client::new();
    let mut pages = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let query = query(after.as_deref());
        let body = http
            .get(format!("{}{PATH}?{query}", sandbox.base_url()))
            .bearer_auth(TOKEN)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("a page from the sandbox")
            .bytes()
            .await
            .expect("its body");
        let page: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        after = page["paging"]["next"]["after"].as_str().map(str::to_owned);
        pages.insert(query, body);
        if after.is_none() {
            break;
        }
    }
    sandbox.shutdown().await;
    pages
}
