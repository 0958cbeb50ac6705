//! Runs at once against RLIMIT_NOFILE (a separate test binary: it changes this process's
//! descriptor limits).

mod common;

use std::time::Duration;

use common::*;
use gsp::{DiagnosticKind, Options, Record, Severity};

fn nofile() -> (u64, u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    (lim.rlim_cur, lim.rlim_max)
}

fn set_nofile(soft: u64, hard: u64) {
    let lim = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: setrlimit reads the struct it is given.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
}

#[test]
fn concurrency_fits_the_descriptor_limit() {
    let (_, hard) = nofile();
    assert!(
        hard >= 4096,
        "the test needs a hard limit of at least 4096 (have {hard})"
    );

    // The default fits the usual soft limit of 1024 as it is.
    set_nofile(1024, hard);
    let mut h = Harness::new();
    h.step();
    assert!(h.diagnostics(DiagnosticKind::ValueClamped).is_empty());
    assert_eq!(nofile().0, 1024);
    drop(h);

    // More runs at once than fit: the soft limit is raised where the hard limit allows.
    let mut h = Harness::with(Options {
        max_concurrent_runs: 1000,
        ..Options::default()
    });
    h.step();
    assert!(nofile().0 >= 3064, "soft limit {}", nofile().0);
    let notes = h.diagnostics(DiagnosticKind::ValueClamped);
    assert!(
        notes.len() == 1 && notes[0].severity == Severity::Info,
        "{notes:#?}"
    );
    assert!(notes[0]
        .message
        .contains("raised the RLIMIT_NOFILE soft limit"));
    drop(h);

    // Where it does not: fewer runs at once, said once, and no run fails for lack of descriptors.
    set_nofile(160, 160);
    let mut h = Harness::with(Options {
        max_concurrent_runs: 1000,
        ..Options::default()
    });
    let ids: Vec<u64> = (0..80).map(|_| h.add(&script("basic.sh"))).collect();
    for &id in &ids {
        h.expect_data_runs(id, 1);
    }
    let notes = h.diagnostics(DiagnosticKind::ValueClamped);
    let warnings: Vec<_> = notes.iter().filter(|d| d.script_id == 0).collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0]
            .message
            .contains("running at most 32 scripts at once"),
        "{}",
        warnings[0].message
    );
    assert!(
        h.diagnostics(DiagnosticKind::SpawnFailed).is_empty(),
        "{:#?}",
        h.diagnostics(DiagnosticKind::SpawnFailed)
    );
    assert_eq!(
        h.records
            .iter()
            .filter(|r| matches!(r, Record::Config(_)))
            .count(),
        80
    );
    h.rt.wait(Duration::from_millis(1));
}
