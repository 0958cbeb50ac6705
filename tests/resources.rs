//! Many runs leave no zombie and no descriptor behind. A separate test binary, so no other test's
//! children or descriptors are counted.

mod common;

use common::*;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Children of this process that are zombies.
fn zombie_children() -> Vec<i32> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                let fields: Vec<&str> = stat
                    .rsplit(')')
                    .next()
                    .unwrap_or("")
                    .split_whitespace()
                    .collect();
                fields.first() == Some(&"Z") && fields.get(1) == Some(&me.as_str())
            })
        })
        .collect()
}

#[test]
fn many_runs_leave_no_zombies_and_no_descriptors() {
    let mut h = Harness::new();
    let ids: Vec<u64> = (0..4).map(|_| h.add(&script("basic.sh"))).collect();
    let exit3 = h.add(&script("exit3.sh"));
    for &id in &ids {
        h.expect_data_runs(id, 1);
    }
    let baseline = open_fds();
    for round in 2..=26 {
        h.now += 60_000;
        for &id in ids.iter().chain([&exit3]) {
            h.expect_data_runs(id, round);
        }
    }
    assert_eq!(h.rt.stats().runs_in_flight, 0);
    assert_eq!(h.rt.stats().runs_started, 5 + 5 * 26);
    assert_eq!(open_fds(), baseline, "descriptors grew over 125 runs");
    assert!(
        zombie_children().is_empty(),
        "zombies: {:?}",
        zombie_children()
    );
}
