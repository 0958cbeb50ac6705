//! Many runs leave no zombie and no descriptor behind. A separate test binary, so no other test's
//! children or descriptors are counted.

mod common;

use common::*;

#[test]
fn many_runs_leave_no_zombies_and_no_descriptors() {
    let mut h = Harness::new();
    let ids: Vec<u64> = (0..4).map(|_| h.add(&script("basic.sh"))).collect();
    let exit3 = h.add(&script("exit3.sh"));
    for &id in &ids {
        h.expect_data_runs(id, 1);
    }
    let baseline = entries("/proc/self/fd");
    for round in 2..=26 {
        h.now += 60_000;
        for &id in ids.iter().chain([&exit3]) {
            h.expect_data_runs(id, round);
        }
    }
    assert_eq!(h.rt.stats().runs_in_flight, 0);
    assert_eq!(h.rt.stats().runs_started, 5 + 5 * 26);
    assert_eq!(
        entries("/proc/self/fd"),
        baseline,
        "descriptors grew over 125 runs"
    );
    assert!(
        zombie_children().is_empty(),
        "zombies: {:?}",
        zombie_children()
    );
}
