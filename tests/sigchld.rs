//! A host that ignores SIGCHLD: the kernel discards exit statuses. gsp says so once and never
//! invents a status. (A separate test binary: it changes this process's SIGCHLD disposition.)

mod common;

use common::*;
use gsp::DiagnosticKind;

#[test]
fn ignored_sigchld_is_reported_once_and_statuses_are_not_invented() {
    // SAFETY: changes this test process's disposition only.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    let mut h = Harness::new();
    let ok = h.add(&script("basic.sh"));
    let failing = h.add(&script("exit3.sh"));
    h.expect_data_runs(ok, 1);
    h.expect_data_runs(failing, 1);
    h.now += 60_000;
    h.expect_data_runs(ok, 2);
    let reported = h.diagnostics(DiagnosticKind::SigchldIgnored);
    assert_eq!(reported.len(), 1, "reported exactly once: {:#?}", h.records);
    assert!(reported[0].message.contains("SIG_IGN"));
    assert!(
        h.diagnostics(DiagnosticKind::ExitStatus).is_empty(),
        "no exit status can be known, so none is reported"
    );
    assert!(h
        .metrics()
        .iter()
        .any(|m| m.script_id == ok && m.metric_id == 1));
}
