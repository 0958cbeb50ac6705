//! Work measured by counting, not by the clock: bytes and calls through a counting global
//! allocator, and system calls as the kernel counts them per thread (`/proc/.../io`). Parsing
//! must cost memory proportional to its input, and a run a bounded amount of work, whatever
//! the machine's load.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use gsp::protocol::config::{parse_config, ConfigLimits};
use gsp::protocol::interpret::interpret;
use gsp::{CommandLine, Options, Record, Runtime};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static TOTAL: AtomicUsize = AtomicUsize::new(0);
static CALLS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        TOTAL.fetch_add(layout.size(), Ordering::Relaxed);
        CALLS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Tests measure one at a time (the counters are process-wide).
static SERIAL: Mutex<()> = Mutex::new(());

/// (peak bytes above the live bytes at the start, total bytes allocated) while `f` runs.
fn measure<T>(f: impl FnOnce() -> T) -> (usize, usize, T) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let total = TOTAL.load(Ordering::Relaxed);
    let out = f();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    (peak, TOTAL.load(Ordering::Relaxed) - total, out)
}

fn config_doc(metrics: usize) -> Vec<u8> {
    let items: Vec<String> = (0..metrics)
        .map(|i| {
            format!(
                r#"{{"id": {i}, "name": "Metric number {i}", "description": "what it measures", "datatype": "DOUBLE", "calctype": "Instant", "unit": "ms", "dimensions": [{{"id": 1, "name": "host"}}]}}"#
            )
        })
        .collect();
    format!(
        r#"{{"maxruntime": 5000, "period": 60, "metrics": [{}]}}"#,
        items.join(",\n")
    )
    .into_bytes()
}

#[test]
fn parsing_a_configuration_costs_memory_proportional_to_the_document() {
    let _serial = SERIAL.lock().unwrap();
    let mut per_metric = Vec::new();
    for n in [1_000, 20_000] {
        let doc = config_doc(n);
        let (peak, _, parsed) = measure(|| parse_config(&doc, ConfigLimits::default()));
        let (config, _) = parsed.unwrap();
        assert_eq!(config.metrics.len(), n);
        let ratio = peak as f64 / doc.len() as f64;
        eprintln!(
            "{n} metrics: document {} bytes, peak {peak} bytes ({ratio:.1}x)",
            doc.len()
        );
        // The parsed configuration, its normalized JSON and one entry being read: a small
        // multiple of the document (a JSON tree of the whole document was ~36x).
        assert!(
            ratio < 10.0,
            "{n} metrics: parsing peaked at {ratio:.1}x the document"
        );
        per_metric.push(peak / n);
    }
    assert!(
        per_metric[1] < per_metric[0] * 3 / 2,
        "memory per metric grows: {per_metric:?}"
    );
}

/// Bytes allocated for 8x the input stay within 12x (a parser that copies a growing prefix per
/// item would allocate about 64x).
fn assert_linear(name: &str, make: impl Fn(usize) -> Vec<u8>, parse: impl Fn(&[u8])) {
    let _serial = SERIAL.lock().unwrap();
    let (small, large) = (make(20_000), make(160_000));
    let (_, a, ()) = measure(|| parse(&small));
    let (_, b, ()) = measure(|| parse(&large));
    let ratio = b as f64 / (a as f64).max(1.0);
    assert!(
        ratio < 12.0,
        "{name}: 8x the input allocated {ratio:.1}x the bytes ({a} -> {b})"
    );
}

#[test]
fn parsing_allocates_linearly_in_the_input() {
    let config = parse_config(
        br#"{"maxruntime":1,"metrics":[{"id":1,"dimensions":[{"id":1}]}],"events":[{"id":1}]}"#,
        ConfigLimits::default(),
    )
    .unwrap()
    .0;
    let data = |bytes: &[u8]| {
        let _ = interpret(bytes, &config, 0, 20);
    };
    assert_linear(
        "many dimensions on one line",
        |n| {
            let dims: Vec<String> = (0..n).map(|i| format!("{i}:v")).collect();
            format!("M1 \"{}\" 1\n", dims.join(",")).into_bytes()
        },
        data,
    );
    assert_linear(
        "commas inside one dimension value",
        |n| format!("M1 \"1:{}\" 1\n", ",".repeat(n)).into_bytes(),
        data,
    );
    assert_linear(
        "quotes in an event line",
        |n| format!("E1 0 0 \"{}\" S\n", "\" ".repeat(n)).into_bytes(),
        data,
    );
    assert_linear(
        "many short lines",
        |n| "M1 \"1:a\" 1\nM2 2\njunk\n".repeat(n / 4).into_bytes(),
        data,
    );
    assert_linear(
        "many metrics in a configuration",
        |n| config_doc(n / 100),
        |b| {
            let _ = parse_config(b, ConfigLimits::default());
        },
    );
    assert_linear(
        "a long command line",
        |n| "'a b' ".repeat(n / 6).into_bytes(),
        |b| {
            let _ = CommandLine::parse(std::str::from_utf8(b).unwrap());
        },
    );
}

/// A data run's samples cost allocations per run, not per line: the output becomes their text
/// (values NUL-terminated in place), so 100 times the lines take about as many allocations.
#[test]
fn a_runs_samples_cost_allocations_per_run_not_per_line() {
    let _serial = SERIAL.lock().unwrap();
    let config = parse_config(
        br#"{"maxruntime":1,"metrics":[{"id":1,"dimensions":[{"id":1,"name":"if"},{"id":2,"name":"dir"}]}]}"#,
        ConfigLimits::default(),
    )
    .unwrap()
    .0;
    let output = |lines: usize| -> Vec<u8> {
        (0..lines)
            .map(|i| format!("M1 \"1:eth{},2:rx\" {i}.5\n", i % 16))
            .collect::<String>()
            .into_bytes()
    };
    let calls = |lines: usize| {
        let out = output(lines);
        let before = CALLS.load(Ordering::Relaxed);
        let data = interpret(out, &config, 0, 20);
        let after = CALLS.load(Ordering::Relaxed);
        assert_eq!(data.samples.len(), lines);
        let last = data.samples.get(lines - 1).unwrap();
        let d = last.dimensions.first().unwrap();
        assert_eq!(d.name, "if");
        assert_eq!(d.value, format!("eth{}", (lines - 1) % 16));
        after - before
    };
    let (small, large) = (calls(1_000), calls(100_000));
    assert!(
        large < small + 64,
        "1,000 lines took {small} allocations, 100,000 lines {large}"
    );
}

/// A small data run (10 lines, half of them with dimensions) costs the host a bounded number of
/// allocations (gsp's threads and the draining one together) and of reads and writes: W1's host
/// CPU per run grew by half when each run began reading the cgroup's CPU quota from /proc and
/// /sys (7 more reads on the I/O thread).
#[test]
fn a_small_run_costs_the_host_few_allocations_and_system_calls() {
    let _serial = SERIAL.lock().unwrap();
    let rt = Runtime::new(Options::default()).unwrap();
    rt.add_script(&common::script("ten_lines.sh")).unwrap();
    // The configuration run and a first data run, then the measured ones.
    let mut now = common::T0;
    drive(&rt, now, 1, |r| matches!(r, Record::Config(_)));
    now += 60_000;
    drive(&rt, now, 10, |r| matches!(r, Record::Metric(_)));
    const RUNS: usize = 50;
    let io_thread = wait_for_thread("gsp-io");
    let (io_before, mine_before) = (
        io_calls(&io_thread),
        io_calls(Path::new("/proc/thread-self")),
    );
    let before = CALLS.load(Ordering::Relaxed);
    for _ in 0..RUNS {
        now += 60_000;
        drive(&rt, now, 10, |r| matches!(r, Record::Metric(_)));
    }
    let per_run = (CALLS.load(Ordering::Relaxed) - before) as f64 / RUNS as f64;
    let (io_after, mine_after) = (
        io_calls(&io_thread),
        io_calls(Path::new("/proc/thread-self")),
    );
    let per = |a: u64, b: u64| (a - b) as f64 / RUNS as f64;
    let io_reads = per(io_after.0, io_before.0);
    let io_writes = per(io_after.1, io_before.1);
    let host_writes = per(mine_after.1, mine_before.1);
    println!(
        "per run: {per_run} allocations; I/O thread {io_reads} reads, {io_writes} writes; \
         host {host_writes} writes"
    );
    // Measured: 24 allocations; the I/O thread reads the start request, stdout once (a short
    // read means the pipe is empty) and stderr's end; the host writes the start request. A
    // loaded machine watches a slower run's pipes, which can add a read or two.
    assert!(per_run <= 32.0, "{per_run} allocations per 10-line run");
    assert!(
        io_reads <= 5.0,
        "the I/O thread makes {io_reads} reads per run"
    );
    assert!(
        io_writes == 0.0,
        "the I/O thread makes {io_writes} writes per run"
    );
    assert!(
        host_writes <= 2.0,
        "the host thread makes {host_writes} writes per run"
    );
}

/// Ticks at `now`, then waits and drains until `n` records that are `wanted` arrived; any
/// diagnostic fails the test. Counts without keeping records, so it allocates nothing itself.
fn drive(rt: &Runtime, now: i64, mut n: usize, wanted: impl Fn(&Record) -> bool) {
    rt.tick(now);
    let start = Instant::now();
    while n > 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "run stalled");
        rt.wait(Duration::from_millis(100));
        rt.drain(usize::MAX, |r| {
            assert!(!matches!(r, Record::Diagnostic(_)), "{r:?}");
            n -= usize::from(wanted(r));
        })
        .unwrap();
    }
}

/// The /proc directory of this process's thread named `name`, once it has named itself.
fn wait_for_thread(name: &str) -> PathBuf {
    let deadline = Instant::now() + common::PATIENCE;
    loop {
        if let Some((_, dir)) = common::gsp_threads().into_iter().find(|(n, _)| n == name) {
            return dir;
        }
        assert!(Instant::now() < deadline, "no thread {name}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// (read-like, write-like) system calls a thread has made, as the kernel counts them.
fn io_calls(thread_dir: &Path) -> (u64, u64) {
    let io = std::fs::read_to_string(thread_dir.join("io")).unwrap();
    let field = |key: &str| -> u64 {
        io.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    (field("syscr:"), field("syscw:"))
}
