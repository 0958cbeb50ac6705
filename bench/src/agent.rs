//! Driving a gsp runtime as an agent does: tick, wait, drain, until what a workload needs.

use std::time::{Duration, Instant};

use gsp::{Record, Runtime};

/// The host clock's start (ms): every workload ticks from here.
pub const T0: i64 = 1_700_000_000_000;

/// Ticks (without moving the clock) until the script finished `n` data runs, draining as it goes.
pub fn until_data_runs(rt: &Runtime, id: u64, now: i64, n: u64, drained: &mut u64) {
    let start = Instant::now();
    while rt.script_state(id).unwrap().data_runs_done < n {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "script {id} stalled"
        );
        rt.tick(now);
        rt.wait(Duration::from_millis(100));
        rt.drain(usize::MAX, |_| *drained += 1).unwrap();
    }
}

/// `n` data runs one after another, like an agent: tick one period on, then block until the
/// run's `per_run` records arrive and drain them.
pub fn sequential_runs(rt: &Runtime, n: u64, per_run: u64, drained: &mut u64) {
    let mut now = T0;
    for i in 0..n {
        now += 60_000;
        rt.tick(now);
        let want = *drained + per_run;
        let start = Instant::now();
        while *drained < want {
            assert!(start.elapsed() < Duration::from_secs(30), "run {i} stalled");
            rt.wait(Duration::from_millis(100));
            rt.drain(usize::MAX, |_| *drained += 1).unwrap();
        }
    }
}

/// Drains until `n` configuration records arrived (the configuration runs of `n` scripts).
pub fn until_configs(rt: &Runtime, n: usize) {
    let start = Instant::now();
    let mut configs = 0;
    while configs < n {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "only {configs} of {n} configured"
        );
        rt.wait(Duration::from_millis(100));
        rt.drain(usize::MAX, |r| {
            configs += usize::from(matches!(r, Record::Config(_)))
        })
        .unwrap();
    }
}

/// Drains until `n` metric records arrived, waiting at most `slice` between drains; fails after
/// `limit`.
pub fn until_metrics(rt: &Runtime, n: usize, slice: Duration, limit: Duration) {
    let start = Instant::now();
    let mut metrics = 0;
    while metrics < n {
        assert!(
            start.elapsed() < limit,
            "only {metrics} of {n} metrics drained"
        );
        rt.wait(slice);
        rt.drain(usize::MAX, |r| {
            metrics += usize::from(matches!(r, Record::Metric(_)))
        })
        .unwrap();
    }
}
