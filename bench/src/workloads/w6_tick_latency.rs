//! W6: how long `tick` takes while large Difference runs are turned into records.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gsp::{Options, Runtime};
use serde_json::{json, Value};

use crate::agent::T0;
use crate::child::{inner, run_json};
use crate::fixtures::Bench;
use crate::probe::{switches, thread_cpu};
use crate::report::{field, percentile, verdict, Table};

/// One thread ticks every millisecond (with a host clock that makes the runs due back to back)
/// while the host drains on another, until `runs` data runs of `script file` finished.
pub fn measure(file: &str, script: &str, runs: u64) -> Value {
    let rt = Arc::new(
        Runtime::new(Options {
            max_stdout_bytes: 256 << 20,
            queue_capacity: 8 << 20,
            ..Options::default()
        })
        .unwrap(),
    );
    let id = rt.add_script(&format!("{script} {file}")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let drainer = {
        let (rt, stop) = (rt.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                rt.wait(Duration::from_millis(20));
                rt.drain(usize::MAX, |_| n += 1).unwrap();
            }
            n
        })
    };
    let mut latencies_us = Vec::new();
    let mut cpu_us = Vec::new();
    // Ticks over 1 ms: (µs, voluntary switches: waited for a lock, involuntary: preempted).
    let mut slow = Vec::new();
    let mut now = T0;
    let start = Instant::now();
    while rt.script_state(id).unwrap().data_runs_done < runs {
        assert!(start.elapsed() < Duration::from_secs(300), "W6 stalled");
        let (t, c, sw) = (Instant::now(), thread_cpu(), switches());
        rt.tick(now);
        let wall = t.elapsed().as_secs_f64() * 1e6;
        let (v, i) = switches();
        if wall > 1000.0 {
            slow.push((wall as u64, v - sw.0, i - sw.1));
        }
        latencies_us.push(wall);
        cpu_us.push((thread_cpu() - c).as_secs_f64() * 1e6);
        now += 60_000;
        std::thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::Relaxed);
    let records = drainer.join().unwrap();
    latencies_us.sort_by(f64::total_cmp);
    cpu_us.sort_by(f64::total_cmp);
    json!({"ticks": latencies_us.len(), "runs": runs, "records": records,
           "p50_us": percentile(&latencies_us, 0.5), "p99_us": percentile(&latencies_us, 0.99),
           "max_us": percentile(&latencies_us, 1.0), "cpu_p99_us": percentile(&cpu_us, 0.99),
           "cpu_max_us": percentile(&cpu_us, 1.0),
           "slow_waited": slow.iter().filter(|s| s.1 > 0).count(),
           "slow_preempted": slow.iter().filter(|s| s.1 == 0 && s.2 > 0).count(),
           "slow": slow.len()})
}

pub fn run(b: &Bench, table: &mut Table) {
    let runs = if b.quick { 3 } else { 10 };
    eprintln!(
        "W6: tick latency while {runs} Difference runs of {} MB each are applied",
        b.data_mb()
    );
    let w6 = run_json(inner().args(["gsp-w6", &b.data, &b.diff, &runs.to_string()]));
    table.row(
        "W6 tick latency",
        "gsp",
        format!(
            "p50 {:.0} µs, p99 {:.0} µs, max {:.1} ms",
            field(&w6, "p50_us"),
            field(&w6, "p99_us"),
            field(&w6, "max_us") / 1e3
        ),
        format!("{} ticks", w6["ticks"]),
        format!(
            "p99 < 1 ms, max < 10 ms: {}",
            verdict(field(&w6, "p99_us") < 1000.0 && field(&w6, "max_us") < 10_000.0)
        ),
    );
}
