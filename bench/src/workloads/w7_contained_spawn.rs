//! W7: sequential contained runs (an rlimit set, so gsp must run code before exec) from a small
//! host and from a large one: a spawn must not cost more when the host's memory grows.

use std::time::Instant;

use gsp::{Options, Runtime};
use serde_json::{json, Value};

use crate::agent::{sequential_runs, until_data_runs, T0};
use crate::child::{inner, run_json};
use crate::fixtures::Bench;
use crate::report::{field, median, verdict, Table};

/// `runs` sequential runs of `script` from a host that first allocates and touches `host_mb`
/// MB: wall time per run.
pub fn measure(script: &str, host_mb: usize, runs: u64) -> Value {
    let ballast: Vec<u8> = vec![1u8; host_mb << 20];
    let touched: u64 = ballast.iter().step_by(4096).map(|&b| u64::from(b)).sum();
    let rt = Runtime::new(Options {
        limits: gsp::ResourceLimits {
            open_files: Some(256),
            ..Default::default()
        },
        ..Options::default()
    })
    .unwrap();
    let id = rt.add_script(script).unwrap();
    let mut drained = 0;
    until_data_runs(&rt, id, T0, 1, &mut drained);
    let t0 = Instant::now();
    sequential_runs(&rt, runs, 10, &mut drained);
    let wall = t0.elapsed().as_secs_f64();
    assert_eq!(rt.stats().runs_failed, 0);
    json!({"host_mb": host_mb, "touched_pages": touched, "runs": runs, "wall_s": wall,
           "ms_per_run": wall * 1e3 / runs as f64})
}

pub fn run(b: &Bench, table: &mut Table) {
    let runs = if b.quick { "100" } else { "300" };
    eprintln!("W7: {runs} contained runs from a 16 MB host and from a 2 GB host");
    let per_run = |host_mb| {
        field(
            &run_json(inner().args(["gsp-w7", &b.ten, host_mb, runs])),
            "ms_per_run",
        )
    };
    let (mut small, mut large) = (vec![], vec![]);
    for _ in 0..b.reps {
        small.push(per_run("16"));
        large.push(per_run("2048"));
    }
    let (s7, l7) = (median(small), median(large));
    table.row(
        "W7 contained spawn",
        "gsp, 16 MB host",
        format!("{s7:.2} ms/run"),
        "1.00".into(),
        String::new(),
    );
    table.row(
        "W7 contained spawn",
        "gsp, 2 GB host",
        format!("{l7:.2} ms/run"),
        format!("{:.2}", l7 / s7),
        format!("≤ 1.2× the small host: {}", verdict(l7 <= 1.2 * s7)),
    );
}
