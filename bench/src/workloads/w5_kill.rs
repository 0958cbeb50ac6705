//! W5: 200 scripts hanging past a 1 s maxruntime: how long after their deadline each process
//! group is gone.

use std::time::{Duration, Instant};

use gsp::{Options, Runtime};
use serde_json::{json, Value};

use crate::agent::{until_configs, T0};
use crate::child::{inner, run_json};
use crate::fixtures::Bench;
use crate::probe::realtime_ns;
use crate::report::{field, percentile, verdict, Table};

/// `n` copies of `script dir` (hang.sh) started at once; latency percentiles in ms.
pub fn measure(n: usize, script: &str, dir: &str) -> Value {
    let rt = Runtime::new(Options::default()).unwrap();
    for _ in 0..n {
        rt.add_script(&format!("{script} {dir}")).unwrap();
    }
    rt.tick(T0);
    until_configs(&rt, n);
    rt.tick(T0 + 1);
    // Each run writes "<pid> <start ns>" to dir/<pid>; watch until every group is gone.
    let mut pending: Vec<(i32, i128)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut latencies_ms = Vec::new();
    let start = Instant::now();
    while latencies_ms.len() < n {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} of {n} gone",
            latencies_ms.len()
        );
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if seen.contains(&name) {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(e.path()) {
                let parts: Vec<&str> = text.split_whitespace().collect();
                if parts.len() == 2 && text.ends_with('\n') {
                    pending.push((parts[0].parse().unwrap(), parts[1].parse().unwrap()));
                    seen.insert(name);
                }
            }
        }
        let now = realtime_ns();
        pending.retain(|&(pid, started)| {
            // SAFETY: signal 0 only checks for existence.
            let gone = unsafe { libc::kill(-pid, 0) } != 0;
            if gone {
                latencies_ms.push((now - (started + 1_000_000_000)) as f64 / 1e6);
            }
            !gone
        });
        rt.drain(usize::MAX, |_| {}).unwrap();
        std::thread::sleep(Duration::from_micros(500));
    }
    latencies_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p| percentile(&latencies_ms, p);
    json!({"scripts": n, "p50_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": pct(1.0)})
}

pub fn run(b: &Bench, table: &mut Table) {
    eprintln!("W5: 200 scripts hanging past a 1 s maxruntime");
    let hang_dir = b.subdir("w5");
    let w5 = run_json(inner().args(["gsp-w5", "200", &b.hang, hang_dir.to_str().unwrap()]));
    table.row(
        "W5 kill latency",
        "gsp",
        format!(
            "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            field(&w5, "p50_ms"),
            field(&w5, "p99_ms"),
            field(&w5, "max_ms")
        ),
        String::new(),
        format!("p99 < 50 ms: {}", verdict(field(&w5, "p99_ms") < 50.0)),
    );
}
