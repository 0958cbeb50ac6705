//! Hundreds of slow runs in flight need no more threads than the runtime starts with.
//! (A separate test binary, so other tests' threads are not counted.)

mod common;

use std::time::{Duration, Instant};

use common::*;

#[test]
fn slow_runs_in_flight_do_not_need_threads() {
    let mut h = Harness::new();
    let ids: Vec<u64> = (0..200).map(|_| h.add(&script("sleep1.sh"))).collect();
    h.expect("configs", |r| {
        r.iter()
            .filter(|x| matches!(x, gsp::Record::Config(_)))
            .count()
            == ids.len()
    });
    let before = entries("/proc/self/task");
    h.rt.tick(h.now);
    let start = Instant::now();
    let mut peak_in_flight = 0;
    let mut peak_threads = 0;
    while ids
        .iter()
        .any(|&id| h.rt.script_state(id).unwrap().data_runs_done == 0)
    {
        assert!(
            start.elapsed() < PATIENCE,
            "200 one-second runs did not finish"
        );
        peak_in_flight = peak_in_flight.max(h.rt.stats().runs_in_flight);
        peak_threads = peak_threads.max(entries("/proc/self/task"));
        std::thread::sleep(Duration::from_millis(50));
    }
    h.step();
    assert_eq!(h.metrics().len(), 200);
    assert!(
        peak_in_flight >= 100,
        "runs overlapped: peak {peak_in_flight} in flight"
    );
    assert_eq!(peak_threads, before, "no thread per run");
}
