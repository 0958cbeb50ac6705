//! W4: the idle cost of 1,000 scripts with a 60 s period: CPU per tick and resident memory.

use std::time::{Duration, Instant};

use gsp::{Options, Runtime};
use serde_json::{json, Value};

use crate::agent::T0;
use crate::child::{inner, run_json};
use crate::fixtures::Bench;
use crate::probe::{cpu_self, rss_kib, thread_cpu};
use crate::report::{field, verdict, Table};

/// `ticks` ticks of 1 s host time, `pace_ms` apart, over `n` splayed copies of `script`.
pub fn measure(n: usize, script: &str, ticks: u64, pace_ms: u64) -> Value {
    let rt = Runtime::new(Options {
        splay: true,
        ..Options::default()
    })
    .unwrap();
    // Distinct command lines, so splay spreads them over the period.
    for i in 0..n {
        rt.add_script(&format!("{script} {i}")).unwrap();
    }
    let mut tick_cpu = Duration::ZERO;
    let mut now = T0;
    let (c0, t0) = (cpu_self(), Instant::now());
    let mut drained = 0u64;
    for _ in 0..ticks {
        let before = thread_cpu();
        rt.tick(now);
        tick_cpu += thread_cpu() - before;
        rt.drain(usize::MAX, |_| drained += 1).unwrap();
        now += 1000;
        std::thread::sleep(Duration::from_millis(pace_ms));
    }
    let s = rt.stats();
    json!({
        "scripts": n, "ticks": ticks, "tick_cpu_us": tick_cpu.as_secs_f64() * 1e6 / ticks as f64,
        "process_cpu_s": (cpu_self() - c0).as_secs_f64(), "wall_s": t0.elapsed().as_secs_f64(),
        "runs": s.runs_started, "rss_kib": rss_kib(), "records": drained,
    })
}

pub fn run(b: &Bench, table: &mut Table) {
    let (ticks, pace) = if b.quick { (600, 5) } else { (3600, 10) };
    eprintln!("W4: 1,000 scripts, period 60 s, {ticks} ticks of 1 s host time");
    let w4 = run_json(inner().args([
        "gsp-w4",
        "1000",
        &b.tiny,
        &ticks.to_string(),
        &pace.to_string(),
    ]));
    table.row(
        "W4 idle cost",
        "gsp",
        format!(
            "{:.1} µs/tick, {:.1} MB RSS",
            field(&w4, "tick_cpu_us"),
            field(&w4, "rss_kib") / 1024.0
        ),
        format!("{} runs", w4["runs"]),
        format!(
            "< 50 µs/tick, < 20 MB: {}",
            verdict(field(&w4, "tick_cpu_us") < 50.0 && field(&w4, "rss_kib") < 20.0 * 1024.0)
        ),
    );
}
