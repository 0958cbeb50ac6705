//! A host that ignores SIGCHLD: the kernel discards exit statuses. gsp says so once per script,
//! parses the output regardless, and never invents a status ("exited 0"). (A separate test
//! binary: it changes this process's SIGCHLD disposition.)

mod common;

use common::*;
use gsp::DiagnosticKind;

#[test]
fn ignored_sigchld_is_reported_once_per_script_and_statuses_are_not_invented() {
    // SAFETY: changes this test process's disposition only.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    let mut h = Harness::new();
    let ok = h.add(&script("basic.sh"));
    let failing = h.add(&script("exit3.sh"));
    h.expect_data_runs(ok, 1);
    h.expect_data_runs(failing, 1);
    h.now += 60_000;
    h.expect_data_runs(ok, 2);
    h.expect_data_runs(failing, 2);
    let reported = h.diagnostics(DiagnosticKind::SigchldIgnored);
    let mut scripts: Vec<u64> = reported.iter().map(|d| d.script_id).collect();
    scripts.sort_unstable();
    assert_eq!(scripts, [ok, failing], "once per script: {reported:#?}");
    assert!(
        reported[0].message.contains("SIG_IGN"),
        "{}",
        reported[0].message
    );
    assert!(
        h.diagnostics(DiagnosticKind::ExitStatus).is_empty(),
        "no exit status can be known, so none is reported"
    );
    assert!(
        h.diagnostics(DiagnosticKind::Stderr).is_empty(),
        "a lost status is never called an exit 0"
    );
    assert!(h
        .metrics()
        .iter()
        .any(|m| m.script_id == ok && m.metric_id == 1));
}
