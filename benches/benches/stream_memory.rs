//! Streams leads from a sandbox server and reports the client's peak heap and throughput.
//!
//! The sandbox runs in a child process (this binary, re-run with `--sandbox-child N`), so the
//! counting allocator sees the client's allocations only. Three runs in one process:
//! streaming a tenth of the leads, streaming all of them, and collecting all of them into a
//! `Vec`. Streaming must stay flat: the peak of the full run is compared with the tenth's
//! as a ratio, and the run fails when it is not close to 1.
//!
//! `cargo bench -p hubspot-crm-benches` streams 100,000 leads; `-- --quick` (or
//! `HUBSPOT_BENCH_QUICK=1`, or `cargo test -p hubspot-crm-benches --benches`) streams 10,000.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use hubspot_crm::{Client, Lead, RateLimits, ReadOptions, Record, StreamOptions};
use hubspot_crm_benches::CountingAllocator;
use hubspot_sandbox::{Sandbox, SandboxConfig};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator::new();

const CHILD_FLAG: &str = "--sandbox-child";
/// The full run's peak may exceed the tenth's by this factor at most.
const MAX_FLAT_RATIO: f64 = 1.5;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == CHILD_FLAG) {
        let leads = args
            .get(at + 1)
            .and_then(|n| n.parse().ok())
            .expect("--sandbox-child needs a lead count");
        serve_sandbox(leads);
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: run the smoke version.
    let quick = args.iter().any(|a| a == "--quick")
        || !args.iter().any(|a| a == "--bench")
        || std::env::var_os("HUBSPOT_BENCH_QUICK").is_some_and(|v| v != "0");
    let total: usize = if quick { 10_000 } else { 100_000 };

    let mut child = Command::new(std::env::current_exe().expect("own path"))
        .args([CHILD_FLAG, &total.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the sandbox process");
    let mut base_url = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut base_url)
        .expect("the sandbox's address");
    let base_url = base_url.trim().to_owned();
    assert!(base_url.starts_with("http://"), "sandbox said `{base_url}`");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let flat = runtime.block_on(measure(&base_url, total));

    // Closing its stdin stops the sandbox.
    drop(child.stdin.take());
    let _ = child.wait();
    if !flat {
        std::process::exit(1);
    }
}

/// The child: a sandbox seeded with `leads` leads, serving until stdin closes.
fn serve_sandbox(leads: usize) {
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
        println!("{}", sandbox.base_url());
        tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await
        .expect("wait for stdin to close");
        sandbox.shutdown().await;
    });
}

/// One measured run.
struct Run {
    name: String,
    records: usize,
    elapsed: Duration,
    peak_bytes: usize,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.records as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs `work`, measuring the heap it needs at its peak above what was live before.
async fn measured<F, Fut>(name: String, work: F) -> Run
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let before = ALLOC.live();
    ALLOC.reset_peak();
    let started = Instant::now();
    let records = work().await;
    let elapsed = started.elapsed();
    Run {
        name,
        records,
        elapsed,
        peak_bytes: ALLOC.peak().saturating_sub(before),
    }
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

async fn measure(base_url: &str, total: usize) -> bool {
    let client = Client::builder()
        .access_token("bench-token")
        .base_url(base_url)
        .rate_limits(RateLimits::off())
        .build()
        .expect("client");
    // Warm up the connection pool and lazily built state, outside the measurements.
    stream_leads(&client, Some(1_000)).await;

    let tenth = total / 10;
    let small = measured(format!("stream {tenth}"), || {
        stream_leads(&client, Some(tenth))
    })
    .await;
    let full = measured(format!("stream {total}"), || stream_leads(&client, None)).await;
    let collected = measured(format!("collect {total} into a Vec"), || async {
        let all: Vec<Record> = client
            .objects::<Lead>()
            .list_stream(lead_fields(), StreamOptions::new())
            .try_collect()
            .await
            .expect("every lead");
        all.len()
    })
    .await;

    println!("hubspot-crm list_stream: {total} leads, pages of 100, sandbox in a child process");
    println!(
        "{:<28} {:>9} {:>10} {:>12} {:>14}",
        "run", "records", "seconds", "records/s", "peak heap KiB"
    );
    for run in [&small, &full, &collected] {
        println!(
            "{:<28} {:>9} {:>10.2} {:>12.0} {:>14.1}",
            run.name,
            run.records,
            run.elapsed.as_secs_f64(),
            run.per_second(),
            run.peak_bytes as f64 / 1024.0
        );
    }
    let flat_ratio = full.peak_bytes as f64 / small.peak_bytes.max(1) as f64;
    let vec_ratio = collected.peak_bytes as f64 / full.peak_bytes.max(1) as f64;
    println!(
        "peak heap, stream {total} / stream {tenth}: {flat_ratio:.2} (flat is ~1.0; limit {MAX_FLAT_RATIO})"
    );
    println!("peak heap, collect {total} / stream {total}: {vec_ratio:.1}");
    if let Some(hwm) = vm_hwm_kib() {
        println!("process high-water mark (VmHWM): {hwm} KiB");
    }

    let mut ok = true;
    for (run, expected) in [(&small, tenth), (&full, total), (&collected, total)] {
        if run.records != expected {
            eprintln!("{}: {} records, expected {expected}", run.name, run.records);
            ok = false;
        }
    }
    if flat_ratio > MAX_FLAT_RATIO {
        eprintln!(
            "streaming memory is not flat: {flat_ratio:.2} times the peak of a tenth of the leads"
        );
        ok = false;
    }
    ok
}

/// The process's resident-set high-water mark, from `/proc/self/status` (Linux).
fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}
