//! Benchmarks of the `hubspot-crm` client; see `benches/suite`.
//!
//! Holds what the benchmark figures share: an allocator wrapper that counts heap bytes while
//! switched on, the process's CPU time, servers in a child process or on a runtime of their
//! own, and the table the suite prints.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::Duration;

use hubspot_sandbox::{Sandbox, SandboxConfig};

/// The system allocator, counting the bytes allocated less those freed while switched on.
///
/// Off, it only forwards to `System` (one relaxed load per call), so that the figures that
/// measure time are not slowed by the counting. Install it with
/// `#[global_allocator] static ALLOC: CountingAllocator = CountingAllocator::new();`.
#[derive(Debug, Default)]
pub struct CountingAllocator {
    on: AtomicBool,
    /// Bytes allocated less bytes freed since [`Self::start`]; negative when more was freed
    /// than allocated meanwhile.
    net: AtomicIsize,
    peak: AtomicIsize,
}

impl CountingAllocator {
    /// An allocator that does not count until [`Self::start`].
    pub const fn new() -> Self {
        CountingAllocator {
            on: AtomicBool::new(false),
            net: AtomicIsize::new(0),
            peak: AtomicIsize::new(0),
        }
    }

    /// Starts counting from zero.
    pub fn start(&self) {
        self.net.store(0, Ordering::SeqCst);
        self.peak.store(0, Ordering::SeqCst);
        self.on.store(true, Ordering::SeqCst);
    }

    /// Stops counting.
    pub fn stop(&self) {
        self.on.store(false, Ordering::SeqCst);
    }

    /// Bytes live now beyond those live at [`Self::start`].
    pub fn live(&self) -> isize {
        self.net.load(Ordering::SeqCst)
    }

    /// The most bytes live at once beyond those live at [`Self::start`] (or at the last
    /// [`Self::reset_peak`]).
    pub fn peak(&self) -> isize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Starts a new peak measurement from the bytes live now.
    pub fn reset_peak(&self) {
        self.peak.store(self.live(), Ordering::SeqCst);
    }

    /// The heap `work` needs at its peak above what was live before it, and its result.
    pub fn peak_of<T>(&self, work: impl FnOnce() -> T) -> (usize, T) {
        let before = self.live();
        self.reset_peak();
        let value = work();
        (self.peak().saturating_sub(before).max(0) as usize, value)
    }

    fn added(&self, bytes: usize) {
        if self.on.load(Ordering::Relaxed) {
            let bytes = bytes as isize;
            let live = self.net.fetch_add(bytes, Ordering::SeqCst) + bytes;
            self.peak.fetch_max(live, Ordering::SeqCst);
        }
    }

    fn removed(&self, bytes: usize) {
        if self.on.load(Ordering::Relaxed) {
            self.net.fetch_sub(bytes as isize, Ordering::SeqCst);
        }
    }
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated besides.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            self.added(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            self.added(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`, per the caller's contract.
        unsafe { System.dealloc(ptr, layout) };
        self.removed(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`; `new_size` is valid per the caller's contract.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            self.removed(layout.size());
            self.added(new_size);
        }
        new
    }
}

/// CPU time (user and system, all threads) this process has used so far, from `getrusage`.
pub fn process_cpu_time() -> Duration {
    // SAFETY: `rusage` is plain data, valid when zeroed; `getrusage` only writes into it.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return Duration::ZERO;
        }
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The argument that makes the suite's binary run as a child server instead (see
/// [`ChildServer`]).
pub const CHILD_FLAG: &str = "--bench-child";

/// A server in a child process: this binary run again with [`CHILD_FLAG`] and arguments. The
/// child prints a fixed number of lines (its address first) and serves until its standard
/// input closes, which dropping this does. Its allocations and CPU time are its own, so the
/// figures measured in this process see the client's only.
#[derive(Debug)]
pub struct ChildServer {
    child: Child,
    lines: Vec<String>,
}

impl ChildServer {
    /// Starts the child with `args` after [`CHILD_FLAG`] and reads its first `lines` lines.
    pub fn spawn(args: &[String], lines: usize) -> ChildServer {
        let mut child = Command::new(std::env::current_exe().expect("own path"))
            .arg(CHILD_FLAG)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the child server");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut read = Vec::with_capacity(lines);
        for _ in 0..lines {
            let mut line = String::new();
            stdout.read_line(&mut line).expect("a line from the child");
            assert!(!line.is_empty(), "the child server ended early ({args:?})");
            read.push(line.trim().to_owned());
        }
        ChildServer { child, lines: read }
    }

    /// The `i`-th line the child printed (0 is its base URL).
    pub fn line(&self, i: usize) -> &str {
        &self.lines[i]
    }

    /// The child's base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        self.line(0)
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        // Closing its stdin stops the child.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// In a child server: prints `lines` (the first being its address) and blocks until the
/// parent closes standard input.
pub fn announce_and_wait(lines: &[String]) {
    for line in lines {
        println!("{line}");
    }
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
}

/// A sandbox served by a runtime of its own (one worker thread), so that it keeps answering
/// on time whatever the client's runtime is doing, and its request log can be read here.
#[derive(Debug)]
pub struct LocalSandbox {
    sandbox: Option<Sandbox>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl LocalSandbox {
    /// Starts a sandbox with `config`. Call it outside any runtime.
    pub fn start(config: SandboxConfig) -> LocalSandbox {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("the sandbox's runtime");
        let sandbox = runtime
            .block_on(Sandbox::start(config))
            .expect("start the sandbox");
        LocalSandbox {
            sandbox: Some(sandbox),
            runtime: Some(runtime),
        }
    }

    /// The running sandbox.
    pub fn sandbox(&self) -> &Sandbox {
        self.sandbox.as_ref().expect("running until dropped")
    }
}

impl Drop for LocalSandbox {
    fn drop(&mut self) {
        if let (Some(sandbox), Some(runtime)) = (self.sandbox.take(), self.runtime.take()) {
            runtime.block_on(sandbox.shutdown());
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

/// A tokio runtime for the client side of a figure: two workers, as on CI.
pub fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the client's runtime")
}

/// Whether a figure met its goal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Met {
    /// It did.
    Yes,
    /// It did not.
    No,
    /// The figure has no goal: it is reported only.
    Reported,
    /// It was not measured in this run.
    Skipped,
}

impl Met {
    /// `Yes` when `ok`, else `No`.
    pub fn from(ok: bool) -> Met {
        if ok { Met::Yes } else { Met::No }
    }

    fn as_str(self) -> &'static str {
        match self {
            Met::Yes => "yes",
            Met::No => "**no**",
            Met::Reported => "—",
            Met::Skipped => "skipped",
        }
    }
}

/// One line of the table.
#[derive(Clone, Debug)]
pub struct Row {
    /// What is measured.
    pub figure: String,
    /// The measured value, with its unit.
    pub value: String,
    /// What it is compared with, measured in the same run, with its unit.
    pub baseline: String,
    /// Value over baseline (or the share the figure is defined as).
    pub ratio: Option<f64>,
    /// The goal, e.g. `≤ 1.05`.
    pub goal: String,
    /// Whether the goal was met.
    pub met: Met,
}

impl Row {
    /// A row of a figure that was not measured, saying why in `value`.
    pub fn skipped(figure: impl Into<String>, why: impl Into<String>) -> Row {
        Row {
            figure: figure.into(),
            value: why.into(),
            baseline: "—".into(),
            ratio: None,
            goal: "—".into(),
            met: Met::Skipped,
        }
    }
}

/// The suite's table, in Markdown, ready to paste into `BENCHMARKS.md`.
pub fn markdown_table(rows: &[Row]) -> String {
    let header = ["figure", "value", "baseline", "ratio", "goal", "met?"];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.figure.clone(),
                r.value.clone(),
                r.baseline.clone(),
                r.ratio
                    .map_or_else(|| "—".to_owned(), |x| format!("{x:.3}")),
                r.goal.clone(),
                r.met.as_str().to_owned(),
            ]
        })
        .collect();
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .chain([header[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..6).map(width).collect();
    let mut out = String::new();
    let line = |out: &mut String, cells: &[&str]| {
        out.push('|');
        for (cell, w) in cells.iter().zip(&widths) {
            let pad = w - cell.chars().count();
            let _ = write!(out, " {cell}{} |", " ".repeat(pad));
        }
        out.push('\n');
    };
    line(&mut out, &header);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(
        &mut out,
        &rule.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    for c in &cells {
        line(&mut out, &c.iter().map(String::as_str).collect::<Vec<_>>());
    }
    out
}

/// The median of `values` (0 when empty).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// `n` with thousands separators: `21,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in a readable unit: `1.5 KiB`, `90.2 MiB`.
pub fn bytes(n: usize) -> String {
    let n = n as f64;
    if n >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", n / (1024.0 * 1024.0))
    } else if n >= 1024.0 {
        format!("{:.1} KiB", n / 1024.0)
    } else {
        format!("{n:.0} B")
    }
}
