//! Work measured by counting, not by the clock: bytes allocated by the parsers, through a
//! counting global allocator. Parsing must cost memory proportional to its input, whatever the
//! machine's load.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use gsp::protocol::config::{parse_config, ConfigLimits};
use gsp::protocol::interpret::interpret;
use gsp::CommandLine;

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
