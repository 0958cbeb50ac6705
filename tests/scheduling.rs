//! gsp's I/O thread runs SCHED_BATCH, so its wake-ups (a start, a read, an exit) never preempt
//! the host thread running on its CPU, and every script still runs with the host's SCHED_OTHER.
//! (A test binary of its own: it reads the policy of every thread.)

mod common;

use common::*;

/// The scheduling policy in a /proc/.../stat line (field 41).
fn policy(stat: &str) -> i32 {
    stat_fields(stat)[41 - 3].parse().unwrap()
}

#[test]
fn the_io_thread_yields_to_the_host_and_scripts_keep_its_policy() {
    let mut h = Harness::new();
    let id = h.add(&script("sched_policy.sh"));
    h.expect_data_runs(id, 1);
    let (_, io) = gsp_threads()
        .into_iter()
        .find(|(name, _)| name == "gsp-io")
        .expect("the I/O thread");
    let stat = |dir: &std::path::Path| std::fs::read_to_string(dir.join("stat")).unwrap();
    assert_eq!(policy(&stat(&io)), libc::SCHED_BATCH, "gsp-io");
    let host = std::path::Path::new("/proc/thread-self");
    assert_eq!(policy(&stat(host)), libc::SCHED_OTHER, "the host thread");
    let seen: Vec<f64> = h
        .metrics()
        .iter()
        .filter(|m| m.script_id == id)
        .map(|m| m.value)
        .collect();
    assert_eq!(seen, [libc::SCHED_OTHER as f64], "the script's own policy");
}
