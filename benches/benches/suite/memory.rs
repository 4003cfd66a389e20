//! Memory: the client's peak heap streaming 100,000 leads against streaming 10,000 (flat: ~1),
//! against collecting them into a `Vec`, and bulk-creating 100,000 leads against the size of
//! the inputs.
//!
//! The sandbox runs in a child process, so the counting allocator sees the client's
//! allocations only.

use futures::{StreamExt, TryStreamExt};
use hubspot_crm::{
    AssociationType, Client, Lead, NewRecord, RateLimits, ReadOptions, Record, StreamOptions,
};
use hubspot_crm_benches::{
    ChildServer, Met, Row, announce_and_wait, bytes, client_runtime, thousands,
};
use hubspot_sandbox::{Sandbox, SandboxConfig};

use crate::{ALLOC, Figure};

/// The child server kind: a sandbox with seeded leads.
pub const CHILD_KIND: &str = "sandbox";

/// The full run's peak may exceed the smaller run's by this factor at most.
const MAX_FLAT_RATIO: f64 = 1.5;

/// Leads below which a stream's peak is still growing with warm-up (measured: 2,000 peak at
/// 163 KiB, 4,000 to 16,000 all at 240 KiB).
const SMALLEST_STEADY_RUN: usize = 5_000;

pub fn run(quick: bool) -> Figure {
    let total: usize = if quick { 20_000 } else { 100_000 };
    // The smaller run must reach the stream's steady state (a few thousand leads: the pages
    // read ahead, the cursors remembered) for the ratio to show growth, not warm-up.
    let smaller = (total / 10).max(SMALLEST_STEADY_RUN);
    let server = ChildServer::spawn(&[CHILD_KIND.to_owned(), total.to_string()], 2);
    let contact = server.line(1).to_owned();
    let client = Client::builder()
        .access_token("bench-token")
        .base_url(server.base_url())
        .rate_limits(RateLimits::off())
        .build()
        .expect("client");
    let runtime = client_runtime();
    let mut figure = Figure::default();
    ALLOC.start();

    // Warm up the connection pool and lazily built state, outside the measurements.
    runtime.block_on(stream_leads(&client, Some(1_000)));
    let (small_peak, small) =
        ALLOC.peak_of(|| runtime.block_on(stream_leads(&client, Some(smaller))));
    let (full_peak, full) = ALLOC.peak_of(|| runtime.block_on(stream_leads(&client, None)));
    let (vec_peak, collected) = ALLOC.peak_of(|| {
        runtime.block_on(async {
            let all: Vec<Record> = client
                .objects::<Lead>()
                .list_stream(lead_fields(), StreamOptions::new())
                .try_collect()
                .await
                .expect("every lead");
            all.len()
        })
    });
    for (what, got, expected) in [
        ("streamed", small, smaller),
        ("streamed", full, total),
        ("collected", collected, total),
    ] {
        if got != expected {
            figure
                .failures
                .push(format!("{what} {got} leads, expected {expected}"));
        }
    }
    let flat = full_peak as f64 / small_peak.max(1) as f64;
    println!(
        "   peak heap: stream {} {}, stream {} {}, collect {} {}",
        thousands(smaller as u64),
        bytes(small_peak),
        thousands(total as u64),
        bytes(full_peak),
        thousands(total as u64),
        bytes(vec_peak)
    );
    figure.rows.push(Row {
        figure: format!(
            "memory: peak heap streaming {} leads / {}",
            thousands(total as u64),
            thousands(smaller as u64)
        ),
        value: bytes(full_peak),
        baseline: bytes(small_peak),
        ratio: Some(flat),
        goal: format!("≈ 1 (≤ {MAX_FLAT_RATIO})"),
        met: Met::from(flat <= MAX_FLAT_RATIO),
    });
    if flat > MAX_FLAT_RATIO {
        figure.failures.push(format!(
            "streaming memory is not flat: {flat:.2} times the peak of the smaller run"
        ));
    }
    figure.rows.push(Row {
        figure: format!(
            "memory: peak heap collecting {} leads into a `Vec` / streaming them",
            thousands(total as u64)
        ),
        value: bytes(vec_peak),
        baseline: bytes(full_peak),
        ratio: Some(vec_peak as f64 / full_peak.max(1) as f64),
        goal: "—".into(),
        met: Met::Reported,
    });

    // Bulk create: the inputs are measured as they are built, then the call's peak above them.
    let live_before_inputs = ALLOC.live();
    let inputs: Vec<NewRecord> = (0..total)
        .map(|i| {
            NewRecord::new()
                .property("hs_lead_name", format!("Bulk lead {i}"))
                .associate(contact.clone(), AssociationType::hubspot(578))
        })
        .collect();
    let input_heap = (ALLOC.live() - live_before_inputs).max(1) as usize;
    let input_json: usize = inputs
        .iter()
        .map(|i| serde_json::to_vec(i.as_input()).expect("JSON").len())
        .sum();
    let (bulk_peak, result) =
        ALLOC.peak_of(|| runtime.block_on(client.leads().create_many(inputs)));
    let result = result.expect("the bulk create is accepted");
    let result_heap = (ALLOC.live() - live_before_inputs).max(0) as usize;
    let created = result.succeeded().count();
    drop(result);
    ALLOC.stop();
    drop(runtime);
    drop(server);
    if created != total {
        figure
            .failures
            .push(format!("bulk create: {created} of {total} created"));
    }
    let per_input = bulk_peak as f64 / total as f64;
    println!(
        "   bulk create of {}: inputs {} on the heap ({:.0} B each, {:.0} B each as JSON), peak above them {}, the result {} ({:.0} B a record)",
        thousands(total as u64),
        bytes(input_heap),
        input_heap as f64 / total as f64,
        input_json as f64 / total as f64,
        bytes(bulk_peak),
        bytes(result_heap),
        result_heap as f64 / total as f64,
    );
    figure.rows.push(Row {
        figure: format!(
            "memory: peak heap bulk-creating {} leads, above the inputs / the inputs' heap",
            thousands(total as u64)
        ),
        value: format!("{} ({per_input:.0} B/input)", bytes(bulk_peak)),
        baseline: format!(
            "{} ({:.0} B/input; JSON {:.0} B/input)",
            bytes(input_heap),
            input_heap as f64 / total as f64,
            input_json as f64 / total as f64
        ),
        ratio: Some(bulk_peak as f64 / input_heap as f64),
        goal: "—".into(),
        met: Met::Reported,
    });
    figure
}

/// Streams up to `max` leads, holding none, and checks each comes once, in id order.
async fn stream_leads(client: &Client, max: Option<usize>) -> usize {
    let mut options = StreamOptions::new();
    options.max_items = max;
    let mut stream = client.objects::<Lead>().list_stream(lead_fields(), options);
    let mut count = 0;
    let mut last_id = 0u64;
    while let Some(lead) = stream.next().await {
        let lead = lead.expect("a lead");
        let id: u64 = lead.id.parse().expect("numeric id");
        assert!(id > last_id, "lead {id} came after {last_id}");
        last_id = id;
        count += 1;
    }
    count
}

fn lead_fields() -> ReadOptions {
    ReadOptions::new().properties(["hs_lead_name", "hs_lead_label", "hs_lead_type"])
}

/// The child: a sandbox seeded with `args[0]` leads, serving until stdin closes. Prints its
/// address and the id of the leads' contact.
pub fn serve_sandbox(args: &[String]) {
    let leads: usize = args
        .first()
        .and_then(|n| n.parse().ok())
        .expect("a lead count");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let sandbox = Sandbox::start(SandboxConfig::new())
            .await
            .expect("start the sandbox");
        let contact = sandbox.seed_contact(serde_json::json!({"email": "bench@example.com"}));
        let seeded = sandbox.seed_leads(&contact, leads);
        assert_eq!(seeded.len(), leads);
        let lines = [sandbox.base_url(), contact];
        tokio::task::spawn_blocking(move || announce_and_wait(&lines))
            .await
            .expect("wait for stdin to close");
        sandbox.shutdown().await;
    });
}
