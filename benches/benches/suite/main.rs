//! The benchmark suite: every figure in one run, one table at the end.
//!
//! - overhead: `list_stream` against a reqwest + serde baseline on the same pre-rendered pages;
//! - bulk: batch creates under the sandbox's rate limit, as a share of the ceiling;
//! - latency: streams against a slow server with a slow reader;
//! - memory: peak heap of streaming and of bulk creates;
//! - codegen: `cargo xtask codegen` and `--check`.
//!
//! Every figure is a ratio against a baseline measured in the same run; no time is asserted.
//! The run fails only when something is wrong rather than slow: a record lost, memory that
//! grows with the number of records streamed, generated files changed.
//!
//! `cargo bench -p hubspot-crm-benches` runs it in full; `HUBSPOT_BENCH_QUICK=1` or
//! `-- --quick` (or `cargo test -p hubspot-crm-benches --benches`, which does not pass
//! `--bench`) runs a short version of each figure. `HUBSPOT_BENCH_ONLY=bulk,latency` runs
//! only the figures named. `HUBSPOT_BENCH_PROFILE=client` (or `baseline`) makes the overhead
//! figure run that reader alone, `HUBSPOT_BENCH_PROFILE_PASSES` times, for a profiler
//! (`perf record`, `valgrind --tool=callgrind`) to look at.

mod bulk;
mod codegen;
mod latency;
mod memory;
mod overhead;

use std::time::Instant;

use hubspot_crm_benches::{CHILD_FLAG, CountingAllocator, Row, markdown_table};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator::new();

/// What one figure measured, and what went wrong beyond being slow.
#[derive(Default)]
struct Figure {
    rows: Vec<Row>,
    failures: Vec<String>,
}

/// Measures one figure; `true` for the short version.
type FigureFn = fn(bool) -> Figure;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == CHILD_FLAG) {
        run_child(&args[at + 1..]);
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: run the short version.
    let quick = args.iter().any(|a| a == "--quick")
        || !args.iter().any(|a| a == "--bench")
        || std::env::var_os("HUBSPOT_BENCH_QUICK").is_some_and(|v| v != "0");
    let mode = if quick { "quick" } else { "full" };
    println!("hubspot-crm benchmark suite, {mode} run");

    let started = Instant::now();
    let figures: [(&str, FigureFn); 5] = [
        ("overhead", overhead::run),
        ("bulk", bulk::run),
        ("latency", latency::run),
        ("memory", memory::run),
        ("codegen", codegen::run),
    ];
    // `HUBSPOT_BENCH_ONLY=bulk,latency` runs only those figures.
    let only: Option<Vec<String>> = std::env::var("HUBSPOT_BENCH_ONLY")
        .ok()
        .map(|list| list.split(',').map(|s| s.trim().to_owned()).collect());
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (name, run) in figures {
        if only
            .as_ref()
            .is_some_and(|only| !only.iter().any(|o| o == name))
        {
            continue;
        }
        println!("\n== {name}");
        let figure_started = Instant::now();
        let figure = run(quick);
        println!(
            "   ({name}: {:.1} s)",
            figure_started.elapsed().as_secs_f64()
        );
        rows.extend(figure.rows);
        failures.extend(figure.failures.into_iter().map(|f| format!("{name}: {f}")));
    }

    println!(
        "\nhubspot-crm benchmarks, {mode} run, {:.0} s\n",
        started.elapsed().as_secs_f64()
    );
    print!("{}", markdown_table(&rows));
    if !failures.is_empty() {
        eprintln!();
        for failure in &failures {
            eprintln!("FAILED {failure}");
        }
        std::process::exit(1);
    }
}

/// This binary run as a child server: `--bench-child KIND ARGS...`.
fn run_child(args: &[String]) {
    match args.first().map(String::as_str) {
        Some(overhead::CHILD_KIND) => overhead::serve_pages(&args[1..]),
        Some(memory::CHILD_KIND) => memory::serve_sandbox(&args[1..]),
        other => panic!("unknown child server {other:?}"),
    }
}
