//! W2: 500 scripts sleeping 2 s, all due at once: how long until every value arrived, and how
//! many threads gsp needed for it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gsp::{Options, Runtime};
use serde_json::{json, Value};

use crate::agent::{until_configs, until_metrics, T0};
use crate::child::{inner, run_json};
use crate::fixtures::Bench;
use crate::probe::threads;
use crate::report::{field, verdict, Table};

/// `n` copies of `script` run at once; a sampler thread records the peak thread count.
pub fn measure(n: usize, script: &str) -> Value {
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(threads(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(10));
    let before = threads();
    let rt = Runtime::new(Options {
        max_concurrent_runs: n,
        ..Options::default()
    })
    .unwrap();
    let ids: Vec<u64> = (0..n).map(|_| rt.add_script(script).unwrap()).collect();
    rt.tick(T0);
    until_configs(&rt, n);
    peak.store(0, Ordering::Relaxed);
    let t0 = Instant::now();
    rt.tick(T0 + 1);
    until_metrics(&rt, n, Duration::from_millis(50), Duration::from_secs(60));
    let wall = t0.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    drop(ids);
    json!({"scripts": n, "wall_s": wall, "gsp_threads": peak.load(Ordering::Relaxed).saturating_sub(before)})
}

pub fn run(b: &Bench, table: &mut Table) {
    eprintln!("W2: 500 scripts sleeping 2 s, all due at once");
    let w2 = run_json(inner().args(["gsp-w2", "500", &b.sleep2]));
    table.row(
        "W2 500 × sleep 2 s",
        "gsp",
        format!(
            "{:.2} s, {} threads",
            field(&w2, "wall_s"),
            w2["gsp_threads"]
        ),
        format!("{:.2} of ideal 2 s", field(&w2, "wall_s") / 2.0),
        format!(
            "≤ 2.5 s, ≤ 8 threads: {}",
            verdict(field(&w2, "wall_s") <= 2.5 && field(&w2, "gsp_threads") <= 8.0)
        ),
    );
}
