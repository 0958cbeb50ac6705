//! Soak: 10,000 data runs through one runtime. Descriptors and threads are the same at the end as
//! after the first 100 runs, no zombie exists, and resident memory grows by less than 5 MB.
//! (A separate test binary, so nothing else runs in this process.)

mod common;

use std::time::Instant;

use common::*;

#[test]
fn ten_thousand_runs_leave_no_trace() {
    const SCRIPTS: usize = 100;
    const ROUNDS: u64 = 100;
    let mut h = Harness::new();
    let ids: Vec<u64> = (0..SCRIPTS).map(|_| h.add(&script("tiny.sh"))).collect();
    let started = Instant::now();
    let mut baseline = None;
    for round in 1..=ROUNDS {
        let round_start = Instant::now();
        while ids
            .iter()
            .any(|&id| h.rt.script_state(id).unwrap().data_runs_done < round)
        {
            assert!(
                round_start.elapsed() < PATIENCE,
                "round {round} did not finish"
            );
            h.step();
        }
        h.step();
        // Keep memory flat in the test itself: only the counts matter here.
        h.records.clear();
        if round == 1 {
            baseline = Some((
                entries("/proc/self/fd"),
                entries("/proc/self/task"),
                rss_kib(),
            ));
        }
        h.now += 60_000;
    }
    let (fds, threads, rss) = baseline.unwrap();
    let s = h.rt.stats();
    assert_eq!(s.runs_started, (SCRIPTS as u64) * (ROUNDS + 1), "{s:?}");
    assert_eq!(s.runs_failed + s.runs_timed_out + s.runs_killed, 0, "{s:?}");
    assert_eq!(entries("/proc/self/fd"), fds, "descriptors");
    assert_eq!(entries("/proc/self/task"), threads, "threads");
    assert_eq!(zombie_children().len(), 0);
    let grown = rss_kib().saturating_sub(rss);
    assert!(grown < 5 * 1024, "resident memory grew by {grown} KiB");
    eprintln!(
        "soak: {} runs in {:.1?}, rss {} -> {} KiB",
        s.runs_started,
        started.elapsed(),
        rss,
        rss_kib()
    );
}
