//! Bulk under the limit: leads batch-created against a sandbox that answers 429 past 19
//! requests per second, by a client whose limiter has the same window and follows the
//! sandbox's rate-limit headers.
//!
//! The ceiling is 100 inputs per batch times 19 batches per window. The figure is the share of
//! it reached between the first batch's arrival and the last's, from the sandbox's request
//! log: `k` full windows, the last batch closing the interval, so that the run sends
//! `19 k + 1` batches and at best spans exactly `k` windows. Also counted: 429s (requests the
//! sandbox refused, logged without a body) and every input accounted for.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use hubspot_crm::{
    AssociationType, Client, NewRecord, RateLimits, RetryPolicy, SearchRequest, Window,
};
use hubspot_crm_benches::{LocalSandbox, Met, Row, client_runtime, thousands};
use hubspot_sandbox::SandboxConfig;

use crate::Figure;

const BATCH_CREATE: &str = "/crm/v3/objects/leads/batch/create";
const PER_BATCH: usize = 100;
const MAX_REQUESTS: u32 = 19;
const WINDOW: Duration = Duration::from_secs(1);

pub fn run(quick: bool) -> Figure {
    let windows: usize = if quick { 2 } else { 11 };
    let batches = MAX_REQUESTS as usize * windows + 1;
    let inputs = batches * PER_BATCH;
    let ceiling = (PER_BATCH as f64) * f64::from(MAX_REQUESTS) / WINDOW.as_secs_f64();
    println!(
        "   {} leads in {batches} batches; sandbox and client limit {MAX_REQUESTS} requests per {WINDOW:?}",
        thousands(inputs as u64)
    );

    let local = LocalSandbox::start(SandboxConfig::new().rate_limit(MAX_REQUESTS, WINDOW));
    let sandbox = local.sandbox();
    let contact = sandbox.seed_contact(serde_json::json!({"email": "bulk@example.com"}));
    let limits = RateLimits {
        general: Some(Window::new(MAX_REQUESTS, WINDOW)),
        search: None,
        follow_headers: true,
        ..RateLimits::off()
    };
    let client = Client::builder()
        .access_token("bench-token")
        .base_url(sandbox.base_url())
        .rate_limits(limits)
        .retry(RetryPolicy::default())
        .build()
        .expect("client");
    let leads: Vec<NewRecord> = (0..inputs)
        .map(|i| {
            NewRecord::new()
                .property("hs_lead_name", format!("Bulk lead {i}"))
                .associate(contact.clone(), AssociationType::hubspot(578))
        })
        .collect();

    let runtime = client_runtime();
    let started = Instant::now();
    let result = runtime
        .block_on(client.leads().create_many(leads))
        .expect("the bulk create is accepted");
    let elapsed = started.elapsed();
    // One search after the measurement: the store's count (search has its own limit).
    let stored = runtime
        .block_on(client.leads().search_page(&SearchRequest::new().limit(1)))
        .expect("a search")
        .total
        .unwrap_or(0) as usize;
    let batch_answer = runtime.block_on(one_batch_time());
    drop(runtime);

    let log = sandbox.request_log();
    let sent: Vec<_> = log
        .iter()
        .filter(|r| r.method == "POST" && r.path == BATCH_CREATE)
        .collect();
    // The sandbox reads (and logs) a body only once a request passed its limits.
    let refused = sent.iter().filter(|r| r.body.is_none()).count();
    let admitted: Vec<Instant> = sent
        .iter()
        .filter(|r| r.body.is_some())
        .map(|r| r.at)
        .collect();
    let created = result.succeeded().count();
    let distinct: HashSet<&str> = result.succeeded().map(|r| r.id.as_str()).collect();

    let mut figure = Figure::default();
    let span = match (sent.first(), sent.last()) {
        (Some(first), Some(last)) => last.at - first.at,
        _ => Duration::ZERO,
    };
    let ideal = WINDOW * windows as u32;
    // The last batch closes the interval: the rate is of the inputs sent before it.
    let rate = ((batches - 1) * PER_BATCH) as f64 / span.as_secs_f64().max(1e-9);
    let share = rate / ceiling;
    // How late each window opened: the first request of each window after the first
    // request of the window before, beyond the window's length. They add up to the span's
    // excess over the ideal.
    let step = MAX_REQUESTS as usize;
    let late_ms: Vec<f64> = (1..=windows)
        .filter_map(|k| Some((*admitted.get(k * step)? - *admitted.get((k - 1) * step)?) - WINDOW))
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();
    let mean_late_ms = late_ms.iter().sum::<f64>() / late_ms.len().max(1) as f64;
    let max_late_ms = late_ms.iter().copied().fold(0.0, f64::max);
    println!(
        "   {} batches sent ({refused} refused), first to last arrival {:.3} s (at best {:.3} s), whole call {:.3} s",
        sent.len(),
        span.as_secs_f64(),
        ideal.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!(
        "   each window opened {mean_late_ms:.1} ms late on average (at most {max_late_ms:.1} ms); one batch of {PER_BATCH} answered in {:.1} ms (unlimited sandbox)",
        batch_answer.as_secs_f64() * 1000.0
    );
    println!(
        "   {created} of {inputs} inputs created ({} distinct ids), {} failed; {stored} leads in the sandbox",
        distinct.len(),
        result.failed().count()
    );

    figure.rows.push(Row {
        figure: format!(
            "bulk: records/s as a share of the ceiling, {} leads at {MAX_REQUESTS} req/{}s",
            thousands(inputs as u64),
            WINDOW.as_secs()
        ),
        value: format!("{} rec/s", thousands(rate.round() as u64)),
        baseline: format!("{} rec/s", thousands(ceiling as u64)),
        ratio: Some(share),
        goal: "≥ 0.97".into(),
        met: Met::from(share >= 0.97),
    });
    figure.rows.push(Row {
        figure: "bulk: 429s received".into(),
        value: refused.to_string(),
        baseline: format!("{} requests for {batches} batches", sent.len()),
        ratio: None,
        goal: "0".into(),
        met: Met::from(refused == 0),
    });
    let all = created == inputs
        && distinct.len() == inputs
        && result.outcomes.len() == inputs
        && result.unmatched_results.is_empty()
        && stored == inputs;
    figure.rows.push(Row {
        figure: "bulk: every input accounted for (created / in the store)".into(),
        value: format!(
            "{} / {}",
            thousands(created as u64),
            thousands(stored as u64)
        ),
        baseline: format!("{} inputs", thousands(inputs as u64)),
        ratio: None,
        goal: "all".into(),
        met: Met::from(all),
    });
    if !all {
        figure.failures.push(format!(
            "{created} of {inputs} inputs created ({} distinct), {stored} in the store",
            distinct.len()
        ));
    }
    figure
}

/// How long a sandbox without limits takes to answer one batch create of 100 leads, as sent
/// by the client: how late a window opens at best, since the client counts a request's slot
/// from when its answer came.
async fn one_batch_time() -> Duration {
    let sandbox = hubspot_sandbox::Sandbox::start(SandboxConfig::new())
        .await
        .expect("start a sandbox");
    let contact = sandbox.seed_contact(serde_json::json!({"email": "batch@example.com"}));
    let client = Client::builder()
        .access_token("bench-token")
        .base_url(sandbox.base_url())
        .rate_limits(RateLimits::off())
        .build()
        .expect("client");
    let batch = |n: usize| -> Vec<NewRecord> {
        (0..PER_BATCH)
            .map(|i| {
                NewRecord::new()
                    .property("hs_lead_name", format!("Batch {n} lead {i}"))
                    .associate(contact.clone(), AssociationType::hubspot(578))
            })
            .collect()
    };
    // The first request opens the connection; the median of the rest is the answer time.
    let mut times = Vec::new();
    for n in 0..6 {
        let started = Instant::now();
        client.leads().create_many(batch(n)).await.expect("a batch");
        times.push(started.elapsed().as_secs_f64());
    }
    sandbox.shutdown().await;
    Duration::from_secs_f64(hubspot_crm_benches::median(&times[1..]))
}
